#!/bin/sh
# Download feedparser's source distribution (the version installed) and extract its test
# corpus (tests/: wellformed, illformed, encoding, entities ...) into DIR.
#
#   tests/faults/fetch_feedparser_corpus.sh DIR
#   MONITOR_FEEDPARSER_CORPUS=DIR/tests pytest tests/faults/test_feedparser_corpus.py
#
# PYTHON selects the interpreter (default: python3); pip uses its ordinary index.
set -eu
dest=${1:?usage: fetch_feedparser_corpus.sh DIR}
python=${PYTHON:-python3}
version=$("$python" -c 'import feedparser; print(feedparser.__version__)')
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$python" -m pip download --quiet --no-binary :all: --no-deps \
    "feedparser==$version" -d "$work"
mkdir -p "$dest"
tar -xzf "$work"/feedparser-*.tar.gz -C "$work"
rm -rf "$dest/tests"
cp -R "$work/feedparser-$version/tests" "$dest/tests"
echo "$dest/tests"
