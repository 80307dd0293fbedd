//go:build !linux

package model

func hugePages[T any](s []T) {}
