package model

import (
	"encoding/binary"
	"math/bits"
	"unsafe"
)

// The fingerprint of a state (fingerprint mode's identity of a state) is
// made from the words of its packer's groups (8*groupWords bytes a group,
// zero words included): no more than the packed form says, since the
// groups determine the packed form and the words outside them are zero
// in every state of the program. It is computed from the State in place,
// without packing it.
//
// It is XXH3's long-input hash (XXH3 specification v0.8.x, xxhash.h) with
// one difference: group k of the program is one 64-byte stripe of
// XXH3_accumulate_512 keyed with a key of its own (stripeKeys[k]), and
// the accumulators are never scrambled, so that they are the sum of one
// stripe a group. Then XXH3_mergeAccs (the default secret from byte 11
// on, the length times XXH3_PRIME64_1) and XXH3_avalanche. Being a sum,
// the fingerprint of a successor that differs from its state only in one
// CPU's words is the state's accumulators, less the stripes of the groups
// over that CPU's words, plus their new stripes (Machine.nextFingerprint):
// a few stripes where the whole hash takes one a group. Up to 16 groups,
// where XXH3 itself needs no scramble, this is XXH3 with other keys.
//
// With AVX-512 a stripe is a few instructions on one register
// (stripeHash, pack_amd64.s); stripesGo is the same in Go, and
// TestFingerprintAsmIsGo keeps them equal.
//
// Exact storage keeps hashing the packed form (hash): its sets compare
// packed states, and a fingerprint there is only where to look.

// xxh3Secret is XXH3's default secret (kSecret, XXH3 specification
// v0.8.x, xxhash.h), the one github.com/zeebo/xxh3 hashes with; the
// merge of the accumulators reads it.
const xxh3Secret = "" +
	"\xb8\xfe\x6c\x39\x23\xa4\x4b\xbe\x7c\x01\x81\x2c\xf7\x21\xad\x1c" +
	"\xde\xd4\x6d\xe9\x83\x90\x97\xdb\x72\x40\xa4\xa4\xb7\xb3\x67\x1f" +
	"\xcb\x79\xe6\x4e\xcc\xc0\xe5\x78\x82\x5a\xd0\x7d\xcc\xff\x72\x21" +
	"\xb8\x08\x46\x74\xf7\x43\x24\x8e\xe0\x35\x90\xe6\x81\x3a\x26\x4c" +
	"\x3c\x28\x52\xbb\x91\xc3\x00\xcb\x88\xd0\x65\x8b\x1b\x53\x2e\xa3" +
	"\x71\x64\x48\x97\xa2\x0d\xf9\x4e\x38\x19\xef\x46\xa9\xde\xac\xd8" +
	"\xa8\xfa\x76\x3f\xe3\x9c\x34\x3f\xf9\xdc\xbb\xc7\xc7\x0b\x4f\x1d" +
	"\x8a\x51\xe0\x4b\xcd\xb4\x59\x31\xc8\x9f\x7e\xc9\xd9\x78\x73\x64" +
	"\xea\xc5\xac\x83\x34\xd3\xeb\xc3\xc5\x81\xa0\xff\xfa\x13\x63\xeb" +
	"\x17\x0d\xdd\x51\xb7\xf0\xda\x49\xd3\x16\x55\x26\x29\xd4\x68\x9e" +
	"\x2b\x16\xbe\x58\x7d\x47\xa1\xfc\x8f\xf8\xb8\xd1\x7a\xd0\x31\xce" +
	"\x45\xcb\x3a\x8f\x95\x16\x04\x28\xaf\xd7\xfb\xca\xbb\x4b\x40\x7e"

// xxInitAcc is XXH3's initial accumulators (XXH3_INIT_ACC).
var xxInitAcc = [8]uint64{0x00000000C2B2AE3D, 0x9E3779B185EBCA87, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9,
	0x85EBCA77C2B2AE63, 0x0000000085EBCA77, 0x27D4EB2F165667C5, 0x000000009E3779B1}

// mergeKeys are the secret's words XXH3_mergeAccs reads: from byte 11
// on, 8 bytes apart. Never changed.
var mergeKeys = func() (k [8]uint64) {
	for i := range k {
		k[i] = binary.LittleEndian.Uint64([]byte(xxh3Secret[11+8*i:]))
	}
	return k
}()

// maxGroups is the most groups a packer makes (newPacker).
const maxGroups = 64

// stripeKeys[k] keys group k's stripe: SplitMix64's outputs (Steele, Lea
// and Flood, OOPSLA 2014) from the seed 0, eight a group. Never changed.
var stripeKeys = func() (k [maxGroups][8]uint64) {
	x := uint64(0)
	for g := range k {
		for j := range k[g] {
			x += 0x9E3779B97F4A7C15
			z := x
			z = (z ^ z>>30) * 0xBF58476D1CE4E5B9
			z = (z ^ z>>27) * 0x94D049BB133111EB
			k[g][j] = z ^ z>>31
		}
	}
	return k
}()

// stripe is one group's entry of the fingerprint: its first word, and its
// key (the group's place among the program's groups), as stripeHash reads
// it (key<<16 | word).
func stripe(word uint16, key int) uint32 { return uint32(key)<<16 | uint32(word) }

// fingerprint returns the fingerprint of s (above).
func (p *packer) fingerprint(s *State) uint64 { return p.fingerprintFrom(s, p.all, &xxInitAcc) }

// fingerprintFrom returns the fingerprint whose accumulators are acc plus
// the stripes st of s.
func (p *packer) fingerprintFrom(s *State, st []uint32, acc *[8]uint64) uint64 {
	if p.avx {
		return stripeHash(unsafe.Pointer(s), st, unsafe.Pointer(&stripeKeys), acc, &mergeKeys, len(p.groups))
	}
	a := *acc
	stripesGo(s, st, &a)
	return mergeAcc(&a, len(p.groups))
}

// stripesGo adds to acc the stripes st of s, as stripeHash does:
// XXH3_accumulate_512 of each.
func stripesGo(s *State, st []uint32, acc *[8]uint64) {
	w := stateAsWords(s)
	for _, e := range st {
		g, key := int(e&0xffff), &stripeKeys[e>>16]
		for j := range 8 {
			d := w[g+j]
			dk := d ^ key[j]
			acc[j^1] += d
			acc[j] += (dk & 0xffffffff) * (dk >> 32)
		}
	}
}

// mergeAcc is XXH3_mergeAccs of acc for n groups (8*groupWords*n bytes),
// then XXH3_avalanche.
func mergeAcc(acc *[8]uint64, n int) uint64 {
	const prime64_1 = 0x9E3779B185EBCA87
	h := uint64(8*groupWords*n) * prime64_1
	for i := range 4 {
		mh, ml := bits.Mul64(acc[2*i]^mergeKeys[2*i], acc[2*i+1]^mergeKeys[2*i+1])
		h += mh ^ ml
	}
	h ^= h >> 37
	h *= 0x165667919E3779F9
	return h ^ h>>32
}
