//go:build linux || darwin || dragonfly || freebsd || netbsd || openbsd

package evnet

import (
	"bytes"
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// lens returns the lengths of v's slices.
func lens(v [][]byte) []int {
	out := make([]int, len(v))
	for i, b := range v {
		out[i] = len(b)
	}
	return out
}

// TestGather checks that a gather call picks slices as net's Writev does:
// empty ones are skipped and do not count toward iovMax.
func TestGather(t *testing.T) {
	a, b := []byte("a"), []byte("bb")
	asIs := func(b []byte) []byte { return b }
	pick := func(v [][]byte) [][]byte {
		got, more := gather(make([][]byte, 0, iovMax), v, true, asIs)
		assert.Nil(t, more, "an array of iovMax never fills before the call's slices end")
		return got
	}

	assert.Equal(t, []int{1, 2}, lens(pick([][]byte{nil, a, {}, b, nil})))
	assert.Empty(t, pick([][]byte{nil, {}, nil}))
	assert.Empty(t, pick(nil))

	// 3,000 empty slices, then 1,500 of one byte, interleaved with more
	// empty ones: one call takes the first 1,024 bytes' slices.
	var v [][]byte
	for range 3000 {
		v = append(v, nil)
	}
	for i := range 1500 {
		v = append(v, []byte{byte(i)}, nil)
	}
	got := pick(v)
	require.Len(t, got, iovMax)
	assert.Equal(t, byte(0), got[0][0])
	last := iovMax - 1
	assert.Equal(t, byte(last), got[last][0]) // the 1,024th one-byte slice (its value wraps)

	// A small array: full after two slices, gather hands back the rest from
	// the first slice it left out (empty ones before it skipped), and
	// gatherSmall goes on in a pooled array.
	var pool vecPool[[]byte]
	small := make([][]byte, 2)
	five := [][]byte{a, nil, b, {}, nil, a, b, nil, a}
	got, more := gather(small[:0], five, true, asIs)
	assert.Equal(t, []int{1, 2}, lens(got))
	assert.Equal(t, []int{1, 2, 0, 1}, lens(more))
	got, big := gatherSmall(small, &pool, five, true, asIs)
	require.NotNil(t, big)
	assert.Equal(t, []int{1, 2, 1, 2, 1}, lens(got))
	pool.put(big)
	// Two slices fit: no pooled array.
	got, big = gatherSmall(small, &pool, [][]byte{nil, a, nil, b, nil}, true, asIs)
	assert.Nil(t, big)
	assert.Equal(t, []int{1, 2}, lens(got))
	got, big = gatherSmall(small, &pool, [][]byte{nil, {}}, true, asIs)
	assert.Nil(t, big)
	assert.Empty(t, got)
}

// TestWriteBuffersMany writes Buffers of more slices than one gather call
// takes, with empty slices among them, through a TCP conn: the peer gets
// every byte in order and the Buffers are consumed, as net's are.
func TestWriteBuffersMany(t *testing.T) {
	ln, err := Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	c, err := Dial("tcp", ln.Addr().String())
	require.NoError(t, err)
	defer c.Close()
	s, err := ln.Accept()
	require.NoError(t, err)
	defer s.Close()

	for _, n := range []int{3, iovSmall + 1, 2*iovMax + 7} {
		var v Buffers
		var want []byte
		for i := range n {
			p := bytes.Repeat([]byte{byte(i)}, 1+i%7)
			v = append(v, p, nil)
			want = append(want, p...)
		}
		got := make(chan []byte, 1)
		go func() {
			b := make([]byte, len(want))
			_, err := io.ReadFull(s, b)
			assert.NoError(t, err)
			got <- b
		}()
		wrote, err := v.WriteTo(c)
		require.NoError(t, err, "%d slices", n)
		assert.Equal(t, int64(len(want)), wrote, "%d slices", n)
		assert.Empty(t, v, "%d slices: consumed", n)
		assert.Equal(t, want, <-got, "%d slices", n)
	}
}
