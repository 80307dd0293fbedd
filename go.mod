module github.com/patchcheck/patchcheck

go 1.26

require (
	github.com/bluekeyes/go-gitdiff v0.9.0
	github.com/cespare/xxhash/v2 v2.3.0
	github.com/google/gofuzz v1.2.0
	github.com/mitchellh/hashstructure/v2 v2.0.2
	pgregory.net/rapid v1.3.0
)
