# Regenerate every notebook from its .py source on the tiny preset, so that the committed outputs
# are the ones CI reproduces:   make outputs        (one notebook: make outputs NB=lessons/00_setup.py)
NOTEBOOK_ENV = NASCOURSE_PRESET=tiny NASCOURSE_DEVICE=cpu TQDM_DISABLE=1 PYTHONHASHSEED=0 \
	       JUPYTER_PLATFORM_DIRS=1 IPYKERNEL_CELL_NAME='<IPY-INPUT>'
PYTHON ?= python
NB ?= $(wildcard lessons/[0-9]*.py solutions/[0-9]*.py)

.PHONY: outputs test
outputs:
	@for py in $(NB); do \
		echo "== $$py"; start=$$(date +%s); \
		$(NOTEBOOK_ENV) $(PYTHON) -m jupytext --sync --execute "$$py" || exit 1; \
		echo "   $$(( $$(date +%s) - start )) s"; \
	done

test:
	$(PYTHON) -m pytest
