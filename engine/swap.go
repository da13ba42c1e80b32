package engine

// Preemption by swap: a preempted sequence's cache blocks are copied into
// ordinary memory (the swap area, Config.SwapSpace bytes) and copied back
// into fresh blocks when it is admitted again, instead of recomputing its
// prompt and the tokens generated so far.

// swapOut moves s's computed blocks to the swap area and releases them. It
// reports false, changing nothing, when swapping is off or the area lacks
// room; the caller then falls back to recompute.
func (e *Engine) swapOut(s *seq) bool {
	if e.cfg.SwapSpace <= 0 || s.computed == 0 {
		return false
	}
	bs := e.pool.BlockSize()
	// Blocks reserved beyond what was computed hold nothing yet (and the
	// caller releases them all when this reports false).
	e.pool.Truncate(s.slot, (s.computed+bs-1)/bs)
	if e.swapped+e.pool.SwapBytes(s.slot) > e.cfg.SwapSpace {
		return false
	}
	h, err := e.pool.SwapOut(s.slot)
	if err != nil {
		return false
	}
	s.swapped = h
	// The copies come back as new private blocks: offer them to the prefix
	// cache again once they are back.
	s.committed = 0
	e.swapped += h.Bytes()
	e.counts.swaps++
	return true
}

// admitSwapped brings the swapped-out sequence s at the head of the queue
// back into cache slot slot and schedules its next tokens within budget.
// It reports false when the pool cannot take it yet (keeping one free block
// per running sequence, as admissions do).
func (e *Engine) admitSwapped(s *seq, slot int, budget *int) bool {
	// The swapped blocks come back first; then the tables grow by entries
	// that every group must supply, keeping one free block per running
	// sequence. A windowed group takes back only the blocks it held.
	bs := e.pool.BlockSize()
	room := e.pool.SwapInRoom(s.swapped) - len(e.running)
	n := min(len(s.tokens)-s.computed, *budget, (s.swapped.Blocks()+room)*bs-s.computed)
	if room < 0 || n <= 0 {
		return false
	}
	if err := e.pool.SwapIn(slot, s.swapped); err != nil {
		return false
	}
	if err := e.pool.Reserve(slot, s.computed+n); err != nil {
		e.pool.Release(slot) // the swapped copy stays for another try
		return false
	}
	e.dropSwap(s)
	e.slots = e.slots[:len(e.slots)-1]
	e.waiting[0] = nil
	e.waiting = e.waiting[1:]
	s.slot, s.scheduled = slot, n
	*budget -= n
	e.work = append(e.work, s)
	e.addRunning(s)
	return true
}

// dropSwap returns s's share of the swap area, if it has one.
func (e *Engine) dropSwap(s *seq) {
	if s.swapped != nil {
		e.swapped -= s.swapped.Bytes()
		s.swapped = nil
	}
}
