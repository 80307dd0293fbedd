module github.com/patchcheck/patchcheck

go 1.26

require (
	github.com/bluekeyes/go-gitdiff v0.9.0
	github.com/google/gofuzz v1.2.0
	github.com/mitchellh/hashstructure/v2 v2.0.2
	github.com/zeebo/xxh3 v1.1.0
	pgregory.net/rapid v1.3.0
)

require (
	github.com/klauspost/cpuid/v2 v2.2.10 // indirect
	golang.org/x/sys v0.30.0 // indirect
)
