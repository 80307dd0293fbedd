module patchcheck

go 1.26

require (
	github.com/cespare/xxhash/v2 v2.3.0
	github.com/google/gofuzz v1.2.0
	github.com/mitchellh/hashstructure/v2 v2.0.2
	pgregory.net/rapid v1.3.0
)
