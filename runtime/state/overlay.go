package state

import (
	"bytes"
	"errors"
	"slices"
)

// ScanPrefix calls fn with every key of st that begins with prefix and its
// value, in key order (the store's own PrefixScanner, else ScanFrom from
// prefix, stopping at the first key past it), until fn returns an error:
// returned, unless it is ErrStop.
func ScanPrefix(st Store, prefix []byte, fn func(key, value []byte) error) error {
	if ps, ok := st.(PrefixScanner); ok {
		err := ps.ScanPrefix(prefix, fn)
		if errors.Is(err, ErrStop) {
			return nil
		}
		return err
	}
	err := ScanFrom(st, prefix, func(k, v []byte) error {
		if !bytes.HasPrefix(k, prefix) {
			return ErrStop
		}
		return fn(k, v)
	})
	if errors.Is(err, ErrStop) {
		return nil
	}
	return err
}

// Overlay scans base (a scan in key order, such as ScanPrefix's) with the
// writes over laid on it: a key over holds is given with its value there,
// or left out when over deletes it, in key order among base's keys. Keys
// of over must begin with the same prefix as base's (callers filter);
// Overlay sorts over by key, keeping the last write of a key. fn's error
// ends the scan and is returned, unless it is ErrStop.
func Overlay(base func(fn func(key, value []byte) error) error, over []KV, fn func(key, value []byte) error) error {
	over = lastWrites(over)
	i := 0
	stopped := false // fn returned ErrStop, which base may swallow
	call := func(k, v []byte) error {
		err := fn(k, v)
		if errors.Is(err, ErrStop) {
			stopped = true
		}
		return err
	}
	// emit gives the overlay's keys before k (all of them when k is nil).
	emit := func(k []byte) error {
		for ; i < len(over) && (k == nil || bytes.Compare(over[i].Key, k) < 0); i++ {
			if !over[i].Delete {
				if err := call(over[i].Key, over[i].Value); err != nil {
					return err
				}
			}
		}
		return nil
	}
	err := base(func(k, v []byte) error {
		if err := emit(k); err != nil {
			return err
		}
		if i < len(over) && bytes.Equal(over[i].Key, k) {
			w := over[i]
			i++
			if w.Delete {
				return nil
			}
			v = w.Value
		}
		return call(k, v)
	})
	if err == nil && !stopped {
		err = emit(nil)
	}
	if errors.Is(err, ErrStop) {
		return nil
	}
	return err
}

// lastWrites returns over sorted by key with only the last write of each
// key (a stable sort keeps writes of one key in order).
func lastWrites(over []KV) []KV {
	over = slices.Clone(over)
	slices.SortStableFunc(over, func(a, b KV) int { return bytes.Compare(a.Key, b.Key) })
	out := over[:0]
	for j, w := range over {
		if j+1 < len(over) && bytes.Equal(over[j+1].Key, w.Key) {
			continue
		}
		out = append(out, w)
	}
	return out
}
