# The commands of the README: `make demo`, `make serve` and `make test`. Each sets everything up first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SYSTEM_PACKAGES := fonts-noto-cjk libharfbuzz-subset0 poppler-utils

.PHONY: demo demo-ledger serve test test-tools browser setup system-packages fonts bench bench-load clean readme-images

DEMO_AS_OF := 2022-06-15
# after the visits of the bundled request sheet (examples/走访诉求登记表.xlsx): the next briefs follow them up
DEMO_NEXT_VISIT := 2022-06-30

demo: setup
	$(BIN)/planner check
	@# the demo's visits, handovers and answers happen once: a second demo finds them done
	@# (output/.demo-ledger) and never touches a request entered since, on the web or the command line
	test -f output/.demo-ledger -a -f output/requests.db || $(MAKE) --no-print-directory demo-ledger
	$(BIN)/planner generate examples/enterprises.yaml --out output --as-of $(DEMO_NEXT_VISIT)
	$(BIN)/planner briefs output --combined output/briefs.pdf
	$(BIN)/planner summary examples/enterprises.yaml --plans output --out output/汇总.pdf --date $(DEMO_NEXT_VISIT)
	@echo "帮扶方案和走访简报：output/<统一社会信用代码>/帮扶方案.pdf、走访简报.pdf（同目录下有供程序读取的 Markdown 和 JSON）；"
	@echo "全部走访简报合为一个 PDF，可一次打印：output/briefs.pdf"
	@echo "企业清单（每家企业一行，可点击打开方案和简报）：output/企业清单.xlsx"
	@echo "走访诉求台账：output/requests.db（planner requests list output 查看）；汇总（含诉求办理率）：output/汇总.pdf"

# The demo ledger, made once by demo: the first plans, before the visits; the bundled sheet of
# fictional requests; the bureau hands them over as the sheets come in; the departments' answers.
demo-ledger: setup
	$(BIN)/planner generate examples/enterprises.yaml --out output --as-of $(DEMO_AS_OF) --format md -q
	$(BIN)/planner requests import examples/走访诉求登记表.xlsx output
	$(BIN)/planner requests assign output --by 市经信局 --at 2022-06-17
	$(BIN)/planner requests assign output --by 市经信局 --at 2022-06-22
	$(BIN)/planner requests assign output --by 市经信局 --at 2022-06-27
	$(BIN)/planner requests import examples/部门办理结果.xlsx output
	@# the cadres' follow-ups: three satisfied (two then closed by the bureau), one not (it reopens)
	$(BIN)/planner requests update SQ-2022-000004 output --to 回访 --satisfied --by 吴晓东 --at 2022-06-27
	$(BIN)/planner requests update SQ-2022-000004 output --to 销号 --by 市经信局 --at 2022-06-28
	$(BIN)/planner requests update SQ-2022-000005 output --to 回访 --satisfied --by 孙海波 --at 2022-06-27
	$(BIN)/planner requests update SQ-2022-000005 output --to 销号 --by 市经信局 --at 2022-06-29
	$(BIN)/planner requests update SQ-2022-000014 output --to 回访 --not-satisfied --by 邬海明 --at 2022-06-28 \
	  --note 企业反映错峰用电时段仍未调整
	$(BIN)/planner requests update SQ-2022-000013 output --to 回访 --satisfied --by 徐丽君 --at 2022-06-28
	touch output/.demo-ledger

# The web workplace over the demo's output: demo-data/ (git-ignored) is made anew from output/ with
# one account of each role, whose one-time passwords are printed; then planner serve on 127.0.0.1.
serve: demo
	$(BIN)/planner serve --demo output --data demo-data --host 127.0.0.1

test: setup test-tools browser
	$(BIN)/python -m pytest -q

# LibreOffice lays out brief.docx for the test that counts its pages (tests/test_docx.py); that test
# is skipped, with its reason, where LibreOffice cannot be installed. Only for the tests: the
# planner itself never needs it.
test-tools:
	@command -v soffice >/dev/null && exit 0; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "Installing libreoffice-writer-nogui (for the Word page-count test)"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	    libreoffice-writer-nogui >/dev/null) || echo "LibreOffice not installed: the Word page-count test will be skipped"; \
	else \
	  echo "LibreOffice (soffice) missing: the Word page-count test will be skipped"; \
	fi

# Debian's chromium, which tests/test_web_browser.py drives through Playwright (executable_path:
# Playwright cannot download its own browsers here). Installed as root like the fonts; without it
# the browser tests are skipped with their reason. Only for the tests: planner serve never needs it.
browser:
	@command -v chromium >/dev/null && exit 0; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "Installing chromium (for the browser tests of planner serve)"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	    chromium >/dev/null) || echo "chromium not installed: the browser tests will be skipped"; \
	else \
	  echo "chromium missing (not root): the browser tests will be skipped"; \
	fi

setup: system-packages fonts $(STAMP)

# The GB/T 9704 faces (仿宋, 宋 bold, 黑体, 楷体; all of GB2312), free, from Debian's texlive-lang-chinese:
# the .deb is downloaded and unpacked in a temporary folder (TeX Live is not installed) and the four
# .otf files are copied into fonts/ (git-ignored), which the PDF renderer reads. Without them PDFs
# fall back to Noto CJK and tests/test_look.py fails.
FONT_DIR := fonts
FONT_FILES := FandolFang-Regular.otf FandolSong-Bold.otf FandolHei-Regular.otf FandolKai-Regular.otf
FANDOL_IN_DEB := usr/share/texlive/texmf-dist/fonts/opentype/public/fandol

fonts:
	@have=1; for f in $(FONT_FILES); do test -s $(FONT_DIR)/$$f || have=0; done; \
	if [ $$have = 1 ]; then exit 0; fi; \
	tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT; \
	echo "正在下载 Fandol 字体（Debian 软件包 texlive-lang-chinese，约 49 MB）/ fetching the Fandol fonts"; \
	( cd "$$tmp" && { apt-get download -q texlive-lang-chinese >/dev/null 2>&1 || \
	  { [ "$$(id -u)" = 0 ] && apt-get update -qq && apt-get download -q texlive-lang-chinese >/dev/null 2>&1; }; } ) && \
	dpkg-deb -x "$$tmp"/texlive-lang-chinese_*.deb "$$tmp/x" && mkdir -p $(FONT_DIR) && \
	for f in $(FONT_FILES); do cp "$$tmp/x/$(FANDOL_IN_DEB)/$$f" $(FONT_DIR)/.$$f.part && mv $(FONT_DIR)/.$$f.part $(FONT_DIR)/$$f || exit 1; done && \
	{ zcat "$$tmp"/x/usr/share/doc/texlive-doc/fonts/fandol/COPYING.gz > $(FONT_DIR)/COPYING 2>/dev/null || true; } && \
	cp "$$tmp"/x/usr/share/doc/texlive-doc/fonts/fandol/README $(FONT_DIR)/README 2>/dev/null; \
	have=1; for f in $(FONT_FILES); do test -s $(FONT_DIR)/$$f || have=0; done; \
	if [ $$have = 1 ]; then echo "Fandol 字体已放入 $(FONT_DIR)/"; exit 0; fi; \
	echo "未能获取 Fandol 字体（需要 apt-get download texlive-lang-chinese 能访问 Debian 软件源）；PDF 将改用 Noto CJK 字体，公文字体测试会失败。"; \
	echo "Could not fetch the Fandol fonts (apt-get download texlive-lang-chinese must reach a Debian mirror); PDFs fall back to Noto CJK and the font test fails."

# WeasyPrint needs CJK fonts, and HarfBuzz subsetting (25x slower PDFs without it).
system-packages:
	@missing=""; for p in $(SYSTEM_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "Installing system packages:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	else \
	  echo "Missing system packages:$$missing"; \
	  echo "Install them as root (sudo apt-get install$$missing); Chinese PDFs need them."; \
	fi

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test,dask]'
	touch $(STAMP)

bench: setup
	$(BIN)/python bench/run.py

# planner serve on loopback: 50 users browsing for 60 s while a generation runs (p95 < 300 ms)
bench-load: setup
	$(BIN)/python bench/load.py

clean:
	rm -rf $(VENV) output/*/ build dist $(FONT_DIR)

# The PNGs the README shows: page 1 of a sample plan and brief.
readme-images: demo
	mkdir -p docs
	pdftoppm -png -r 70 -f 1 -l 1 -singlefile output/91330282NB0000040U/帮扶方案.pdf docs/plan-page1
	pdftoppm -png -r 70 -f 1 -l 1 -singlefile output/91330282NB0000040U/走访简报.pdf docs/brief-page1
	rm -rf build/redline && mkdir -p build/redline
	sed '/91330206NB0000059N/,/difficulties/ s/difficulties: \[costs/difficulties: [financing, costs/' \
	  examples/enterprises.yaml > build/redline/enterprises.yaml
	$(BIN)/planner generate examples/enterprises.yaml --out build/redline/out --as-of $(DEMO_AS_OF) --format md
	$(BIN)/planner generate build/redline/enterprises.yaml --out build/redline/out --as-of $(DEMO_AS_OF) --format md
	$(BIN)/planner diff build/redline/out/91330206NB0000059N@v1 build/redline/out/91330206NB0000059N \
	  --format pdf --output build/redline/redline.pdf || test $$? = 1
	pdftoppm -png -r 70 -f 1 -l 1 -singlefile build/redline/redline.pdf docs/redline-page1
