package model

import (
	"encoding/binary"
	"unsafe"

	"github.com/zeebo/xxh3"
)

// The fingerprint of a state (fingerprint mode's identity of a state)
// is XXH3-64 of the words of its packer's groups, in order (8*groupWords
// bytes a group, zero words included): no more than the packed form says,
// since the groups determine the packed form and the words outside them
// are zero in every state of the program. It is computed from the State
// in place, without packing it: with AVX-512, a group is one 64-byte
// stripe of XXH3's long-input loop (groupHash, pack_amd64.s), and
// TestFingerprintIsXXH3 checks it against github.com/zeebo/xxh3 on the
// gathered bytes. A successor that recent or the helper's chunk already
// has (most are) is then never packed.
//
// Exact storage keeps hashing the packed form (hash): its sets compare
// packed states, and a fingerprint there is only where to look.

// xxh3Secret is XXH3's default secret (kSecret, XXH3 specification
// v0.8.x, xxhash.h), the one github.com/zeebo/xxh3 hashes with.
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

// xxLongGroups is the fewest groups whose bytes XXH3 hashes with its
// long-input loop (more than 240 bytes), which groupHash runs.
const xxLongGroups = 240/(8*groupWords) + 1

// fingerprint returns the fingerprint of s (above).
func (p *packer) fingerprint(s *State) uint64 {
	n := len(p.groups)
	if !p.avx || n < xxLongGroups {
		return p.fingerprintGathered(s)
	}
	return groupHash(unsafe.Pointer(s), p.groups, unsafe.Pointer(unsafe.StringData(xxh3Secret)))
}

// fingerprintGathered is fingerprint the slow way: the groups' bytes
// gathered, then hashed.
func (p *packer) fingerprintGathered(s *State) uint64 {
	var buf [64 * 8 * groupWords]byte // at most 64 groups (newPacker)
	w := stateAsWords(s)
	k := 0
	for _, g := range p.groups {
		for _, v := range w[g : g+groupWords] {
			binary.LittleEndian.PutUint64(buf[k:], v)
			k += 8
		}
	}
	return xxh3.Hash(buf[:k])
}
