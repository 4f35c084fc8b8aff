//go:build linux

package compat_test

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestUnixNames is RELIABILITY A17: abstract names, autobind, a 108-byte
// abstract name, no truncation; each checked on net too.
func TestUnixNames(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("abstract names and autobind are Linux features")
	}
	checks, failed := 0, 0
	check := func(ok bool, msg string, args ...any) {
		checks++
		if !assert.True(t, ok, fmt.Sprintf(msg, args...)) {
			failed++
		}
	}
	for _, api := range unixAPIs {
		t.Run(api.name, func(t *testing.T) {
			name := fmt.Sprintf("@evnet-a17-%s-%d", api.name, os.Getpid())
			ln, err := api.listen("unix", name)
			require.NoError(t, err)
			check(ln.Addr().String() == name, "Addr() = %q", ln.Addr())
			_, statErr := os.Lstat(name)
			check(os.IsNotExist(statErr), "no filesystem entry for %q", name)
			c, err := api.dial("unix", name)
			require.NoError(t, err)
			check(c.RemoteAddr().String() == name, "RemoteAddr() = %q", c.RemoteAddr())
			c.Close()
			require.NoError(t, ln.Close())

			// Autobind: an empty name gets a kernel-chosen abstract one.
			al, err := api.listenUnix("unix", &net.UnixAddr{Net: "unix"})
			require.NoError(t, err)
			an := al.Addr().String()
			check(strings.HasPrefix(an, "@") && len(an) > 1, "autobind name %q", an)
			c, err = api.dial("unix", an)
			require.NoError(t, err)
			c.Close()
			check(al.Close() == nil, "autobind Close")

			// A name of len(sun_path) bytes starting with NUL
			// (TestUnixAbstractLongNameNulStart), and one starting
			// with '@' on unixgram (TestUnixgramLinuxAbstractLongName).
			long := make([]byte, 108)
			copy(long, "\x00evnet-long-"+api.name)
			ll, err := api.listenUnix("unix", &net.UnixAddr{Name: string(long), Net: "unix"})
			check(err == nil, "108-byte abstract listen: %v", err)
			if err == nil {
				c, err := api.dialUnix("unix", nil, &net.UnixAddr{Name: string(long), Net: "unix"})
				check(err == nil, "108-byte abstract dial: %v", err)
				if err == nil {
					c.Close()
				}
				ll.Close()
			}
			copy(long, "@evnet-long-gram-"+api.name)
			g, err := api.listenUnixgram("unixgram", &net.UnixAddr{Name: string(long), Net: "unixgram"})
			require.NoError(t, err)
			defer g.Close()
			_, err = g.WriteToUnix([]byte{1, 2, 3}, &net.UnixAddr{Name: string(long), Net: "unixgram"})
			check(err == nil, "108-byte abstract WriteToUnix: %v", err)
			buf := make([]byte, 8)
			n, from, err := g.ReadFrom(buf)
			check(err == nil && n == 3 && from != nil, "ReadFrom: %d %v %v", n, from, err)

			// Too long a path is an error, never a truncation.
			path := filepath.Join(unixTempDir(t), strings.Repeat("p", 120))
			_, err = api.listen("unix", path)
			check(err != nil, "listen on a 120+ byte path must fail")
			_, statErr = os.Lstat(path[:107])
			check(os.IsNotExist(statErr), "no truncated socket file")
		})
	}
	unixGoal(t, "A17", fmt.Sprintf("unix names: %d/%d checks on net and evnet (abstract, autobind, 108-byte abstract, no truncation)", checks-failed, checks), failed == 0)
}

// TestUnixUnlink checks who removes the socket file, on net and evnet
// (TestUnixUnlink): Listen's listener on Close, unless told not to; a
// FileListener only if told to.
func TestUnixUnlink(t *testing.T) {
	type result struct{ listen, keep, file, fileUnlink bool }
	exists := func(p string) bool { _, err := os.Lstat(p); return err == nil }
	var results [2]result
	for i, api := range unixAPIs {
		dir := unixTempDir(t)
		listen := func(name string) unixListener {
			l, err := api.listenUnix("unix", &net.UnixAddr{Name: filepath.Join(dir, name), Net: "unix"})
			require.NoError(t, err)
			return l
		}
		l := listen("a")
		require.NoError(t, l.Close())
		results[i].listen = exists(filepath.Join(dir, "a"))

		l = listen("b")
		l.SetUnlinkOnClose(false)
		require.NoError(t, l.Close())
		results[i].keep = exists(filepath.Join(dir, "b"))

		for _, unlink := range []bool{false, true} {
			name := fmt.Sprint("f", unlink)
			l = listen(name)
			f, err := l.(interface{ File() (*os.File, error) }).File()
			require.NoError(t, err)
			fl, err := api.fileListener(f)
			require.NoError(t, err)
			require.NoError(t, f.Close())
			if unlink {
				fl.(unixListener).SetUnlinkOnClose(true)
			}
			require.NoError(t, fl.Close())
			if unlink {
				results[i].fileUnlink = exists(filepath.Join(dir, name))
			} else {
				results[i].file = exists(filepath.Join(dir, name))
			}
			l.SetUnlinkOnClose(false)
			require.NoError(t, l.Close())
		}
	}
	assert.Equal(t, result{listen: false, keep: true, file: true, fileUnlink: false}, results[1], "evnet")
	assert.Equal(t, results[0], results[1], "net vs evnet")
	ok := results[0] == results[1] && !results[1].listen && results[1].file
	unixGoal(t, "A17", fmt.Sprintf("unix unlink: Listen removes its file=%v, SetUnlinkOnClose(false) keeps it=%v, FileListener keeps it=%v",
		!results[1].listen, results[1].keep, results[1].file), ok)
}
