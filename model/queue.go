package model

// blockSize is how many frames one block of the work list holds.
const blockSize = 1024

// workList holds the frames waiting to be expanded, in blocks so that it
// never copies states as it grows: a FIFO queue for breadth-first search,
// a LIFO stack for depth-first search. Emptied blocks are reused.
type workList struct {
	blocks [][]frame
	head   int // FIFO: index of the next frame in blocks[0]
	free   [][]frame
	n      int
	lifo   bool
}

func (w *workList) len() int { return w.n }

func (w *workList) push(f frame) {
	last := len(w.blocks) - 1
	if last < 0 || len(w.blocks[last]) == blockSize {
		var b []frame
		if k := len(w.free); k > 0 {
			b, w.free = w.free[k-1][:0], w.free[:k-1]
		} else {
			b = make([]frame, 0, blockSize)
		}
		w.blocks = append(w.blocks, b)
		last++
	}
	w.blocks[last] = append(w.blocks[last], f)
	w.n++
}

// pop removes the next frame into *f.
func (w *workList) pop(f *frame) {
	w.n--
	if w.lifo {
		last := len(w.blocks) - 1
		b := w.blocks[last]
		*f = b[len(b)-1]
		w.blocks[last] = b[:len(b)-1]
		if len(w.blocks[last]) == 0 {
			w.free = append(w.free, b)
			w.blocks = w.blocks[:last]
		}
		return
	}
	*f = w.blocks[0][w.head]
	w.head++
	if w.head == len(w.blocks[0]) && (len(w.blocks) > 1 || w.head == blockSize) {
		w.free = append(w.free, w.blocks[0])
		w.blocks = w.blocks[1:]
		w.head = 0
	} else if w.n == 0 {
		w.blocks[0] = w.blocks[0][:0]
		w.head = 0
	}
}
