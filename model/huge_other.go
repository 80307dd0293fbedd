//go:build !linux

package model

func hugePages[T any](s []T)          {}
func adviseHuge[T any](s []T)         {}
func populate[T any](s []T)           {}
func release(b []byte, align uintptr) {}
