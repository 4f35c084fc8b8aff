package evnet

import (
	"runtime"
	"sync"

	"golang.org/x/sys/unix"
)

// withoutSIGPIPE runs call, one splice(2) or sendfile(2) into a socket or a
// pipe that was asked to move want bytes, so that it cannot raise SIGPIPE.
//
// Neither syscall takes MSG_NOSIGNAL: into a shut-down socket or a pipe
// without readers the kernel fails them with EPIPE and also sends SIGPIPE
// to the calling thread (sk_stream_error in net/core/stream.c, pipe_write
// and splice_pipe_to_pipe in fs/; seen on Linux 6.18). It may do so even
// when the call returns a partial count, if the socket was shut down in the
// middle of it. So the thread blocks SIGPIPE around the call and, unless
// the call moved everything or failed with EAGAIN, takes any SIGPIPE that
// became pending off the thread before the mask is restored
// (sigprocmask(2), signalfd(2)). The thread is locked meanwhile: the mask
// belongs to it, not to the goroutine.
func withoutSIGPIPE(want int, call func() (int, error)) (int, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	set := sigpipeSet()
	var old unix.Sigset_t
	if err := unix.PthreadSigmask(unix.SIG_BLOCK, &set, &old); err != nil {
		// rt_sigprocmask fails only for a bad how or size (EINVAL) or a
		// bad pointer (EFAULT), none of which valid arguments can cause.
		panic("evnet: blocking SIGPIPE: " + err.Error())
	}
	n, err := call()
	if old.Val[0]&set.Val[0] == 0 && !(err == nil && n == want) && err != unix.EAGAIN {
		// If the thread had SIGPIPE blocked already, a pending one may be
		// its owner's: leave it.
		discardSIGPIPE()
	}
	if err := unix.PthreadSigmask(unix.SIG_SETMASK, &old, nil); err != nil {
		panic("evnet: restoring the signal mask: " + err.Error()) // as above
	}
	return n, err
}

// sigpipeSet returns the signal set holding only SIGPIPE.
func sigpipeSet() unix.Sigset_t {
	var set unix.Sigset_t
	set.Val[0] = 1 << (uint(unix.SIGPIPE) - 1) // signal n is bit n-1 (sigaddset(3))
	return set
}

// sigpipeFD is a nonblocking signalfd for SIGPIPE, made on first use and
// kept for the life of the process (one fd, like the default loop's). A
// read on it dequeues a SIGPIPE pending for the reading thread.
var sigpipeFD = sync.OnceValues(func() (int, error) {
	set := sigpipeSet()
	return unix.Signalfd(-1, &set, unix.SFD_NONBLOCK|unix.SFD_CLOEXEC)
})

// discardSIGPIPE dequeues a SIGPIPE pending for the calling thread, which
// must have it blocked. Standard signals do not queue, so one read takes
// all there is; EAGAIN means there was none. If the signalfd could not be
// made (EMFILE at first use), the signal stays pending and is delivered when
// the mask is restored: the runtime then ignores it, unless the program
// asked for it with signal.Notify.
func discardSIGPIPE() {
	fd, err := sigpipeFD()
	if err != nil {
		return
	}
	var info [128]byte // sizeof(struct signalfd_siginfo)
	for {
		if _, err := unix.Read(fd, info[:]); err != unix.EINTR {
			return // read, or EAGAIN: nothing was pending
		}
	}
}
