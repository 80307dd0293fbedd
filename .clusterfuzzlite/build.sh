#!/bin/bash -eu
# OSS-Fuzz / ClusterFuzzLite build script: every native Go fuzz target of
# patchcheck (each 'func FuzzXxx(' of a _test.go file) built as a
# libFuzzer binary $OUT/<dir>_<FuzzXxx> by compile_native_go_fuzzer
# (go-118-fuzz-build), with its seeds (testdata/fuzz/<FuzzXxx>, turned
# into the raw inputs the shim decodes to the same arguments) as
# $OUT/<dir>_<FuzzXxx>_seed_corpus.zip. .ci/libfuzzer builds the same
# targets the same way in CI.
cd "$SRC/patchcheck"
go get github.com/AdamKorcz/go-118-fuzz-build/testing
module=$(go list -m)
grep -rn '^func Fuzz' --include='*_test.go' . | sort | while IFS= read -r hit; do
	file="${hit%%:*}"
	name="$(sed -E 's/^[^:]*:[0-9]+:func (Fuzz[A-Za-z0-9_]*).*/\1/' <<<"$hit")"
	dir="$(dirname "${file#./}")"
	bin="$(tr / _ <<<"$dir")_$name"
	compile_native_go_fuzzer "$module/$dir" "$name" "$bin"
	corpus="$WORK/corpus/$bin"
	mkdir -p "$corpus"
	go run ./internal/fuzz/cmd/rawcorpus "$dir/testdata/fuzz/$name" "$corpus"
	if [ -n "$(ls -A "$corpus")" ]; then
		(cd "$corpus" && zip -q -r "$OUT/${bin}_seed_corpus.zip" .)
	fi
done
