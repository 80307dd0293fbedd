package model

// blockWords is the size of one block of the work list, in words.
const blockWords = 1 << 16

// workList holds the packed states waiting to be expanded, with their
// nodes: a LIFO stack for depth-first search (or a FIFO queue; the
// breadth-first search keeps its states in a frontier, levels.go). Entries are stored in blocks of words, so the list
// never copies states as it grows; emptied blocks are reused. An entry is
// a header word (node<<32 | length), the packed state, and the header
// again (so that a stack can find the start of its last entry).
type workList struct {
	blocks [][]uint64
	head   int // FIFO: index of the next entry in blocks[0]
	free   [][]uint64
	n      int
	lifo   bool
}

func (w *workList) len() int { return w.n }

func header(node int32, n int) uint64 { return uint64(uint32(node))<<32 | uint64(n) }

func (w *workList) push(node int32, p []uint64) {
	last := len(w.blocks) - 1
	if last < 0 || len(w.blocks[last])+len(p)+2 > cap(w.blocks[last]) {
		var b []uint64
		if k := len(w.free); k > 0 {
			b, w.free = w.free[k-1][:0], w.free[:k-1]
		} else {
			b = make([]uint64, 0, max(blockWords, len(p)+2))
		}
		w.blocks = append(w.blocks, b)
		last++
	}
	h := header(node, len(p))
	b := append(w.blocks[last], h)
	b = append(b, p...)
	w.blocks[last] = append(b, h)
	w.n++
}

// pop removes the next entry and returns its node and packed state, which
// stays valid until the next push.
func (w *workList) pop() (int32, []uint64) {
	w.n--
	if w.lifo {
		last := len(w.blocks) - 1
		b := w.blocks[last]
		h := b[len(b)-1]
		n := int(uint32(h))
		start := len(b) - n - 2
		p := b[start+1 : start+1+n]
		w.blocks[last] = b[:start]
		if start == 0 {
			w.free = append(w.free, b)
			w.blocks = w.blocks[:last]
		}
		return int32(h >> 32), p
	}
	if w.head == len(w.blocks[0]) {
		w.free = append(w.free, w.blocks[0])
		w.blocks = w.blocks[1:]
		w.head = 0
	}
	b := w.blocks[0]
	h := b[w.head]
	n := int(uint32(h))
	p := b[w.head+1 : w.head+1+n]
	w.head += n + 2
	if w.n == 0 && len(w.blocks) == 1 {
		// empty: the next push starts the block again
		w.blocks[0] = b[:0]
		w.head = 0
	}
	return int32(h >> 32), p
}
