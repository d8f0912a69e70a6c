package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
)

// In chroot mode PostgreSQL runs inside the Debian root scripts/db/provision-root.sh built: its
// binaries need a newer libc than the host's, so they cannot run on the host directly. Its data
// folder, though, is the project's <data-dir>/postgres, which has to appear inside the root, and
// the root also needs proc. Both are mounts, and mounts made on the host would outlive a launcher
// killed with SIGKILL and be shared by every database using the root.
//
// So the supervisor re-executes itself under unshare(1) (util-linux) in new namespaces:
//   - mount, with private propagation: the bind mount of the data folder and proc exist only for
//     this database and vanish with it, whatever kills it; several databases (tests, npm start,
//     the launcher test) use the same root at once, each seeing its own data folder at the same
//     path inside it (https://man7.org/linux/man-pages/man7/mount_namespaces.7.html);
//   - pid, with this program as its pid 1: when pid 1 dies the kernel kills every other process
//     of the namespace, so no postmaster or backend outlives the supervisor even if it is killed
//     with SIGKILL (https://man7.org/linux/man-pages/man7/pid_namespaces.7.html). The other way
//     to tie a child to its parent, PR_SET_PDEATHSIG, covers only the direct child: it is reset
//     in children of fork and cleared on credential changes (prctl(2)), so it reaches the
//     postmaster (Go sets it after the setuid) but none of PostgreSQL's own processes;
//   - ipc: PostgreSQL's System V shared memory segment goes with the namespace instead of being
//     left behind by a postmaster killed outright.
//
// --kill-child makes unshare SIGKILL the supervisor if unshare itself is killed (the Node side's
// last resort), and --fork is what puts the supervisor at pid 1 of the new pid namespace.
// Standard input is inherited, so the stdin-EOF shutdown works through unshare.
func reexecInNamespaces() error {
	if os.Geteuid() != 0 {
		return fmt.Errorf("the PostgreSQL root needs root to run (namespaces, chroot); run as root or set MONGODB_URI")
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		return fmt.Errorf("unshare (util-linux) not found: %v", err)
	}
	args := []string{"unshare", "--mount", "--propagation", "private", "--pid", "--ipc", "--fork", "--kill-child", "--", self}
	args = append(args, os.Args[1:]...)
	args = append(args, "-in-namespace")
	return syscall.Exec(unshare, args, os.Environ())
}

// mountRootFileSystems mounts, in this database's private mount namespace, what PostgreSQL needs
// inside the root besides its data folder: proc (for this pid namespace), and fresh tmpfs on
// /dev/shm (POSIX shared memory, PostgreSQL's default dynamic_shared_memory_type) and /tmp, so
// databases sharing the root share nothing there.
func mountRootFileSystems(root string) error {
	mounts := []struct{ source, target, fstype, data string }{
		{"proc", root + "/proc", "proc", ""},
		{"tmpfs", root + "/dev/shm", "tmpfs", "mode=1777"},
		{"tmpfs", root + "/tmp", "tmpfs", "mode=1777"},
	}
	for _, m := range mounts {
		if err := syscall.Mount(m.source, m.target, m.fstype, syscall.MS_NOSUID|syscall.MS_NODEV, m.data); err != nil {
			return fmt.Errorf("mount %s on %s: %v", m.fstype, m.target, err)
		}
	}
	return nil
}

func bindMount(source, target string) error {
	if err := syscall.Mount(source, target, "", syscall.MS_BIND, ""); err != nil {
		return fmt.Errorf("bind mount %s on %s: %v", source, target, err)
	}
	return nil
}

func unmount(target string) {
	_ = syscall.Unmount(target, syscall.MNT_DETACH)
}

// reapOrphans collects the zombies of processes this supervisor did not start itself. In its pid
// namespace it is pid 1, so PostgreSQL's processes become its children when their postmaster
// dies (before a restart), and only pid 1 can wait for them. It waits for each such pid by
// number, never with wait(-1), so that it cannot take the exit status of the postmaster, which
// exec.Cmd.Wait is waiting for (keep is its pid). procDir is the proc mounted for this pid
// namespace (the root's; the supervisor's own /proc is the host's, with the host's pids).
func reapOrphans(procDir string, keep int) {
	if os.Getpid() != 1 {
		return
	}
	entries, _ := os.ReadDir(procDir)
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == keep {
			continue
		}
		stat, err := os.ReadFile(procDir + "/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...; comm may hold spaces, so parse after the last ')'.
		fields := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
		if len(fields) >= 2 && fields[0] == "Z" && fields[1] == "1" {
			var status syscall.WaitStatus
			_, _ = syscall.Wait4(pid, &status, syscall.WNOHANG, nil)
		}
	}
}
