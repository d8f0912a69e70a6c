package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// settings is the file usage-graph.conf in the data folder, which postgresql.conf includes (the
// include line is added once, by initialize). It is rewritten at every start, so a change here
// reaches existing data folders too. The port is not here: it is chosen free at every start and
// given on the command line.
const settings = `# Written by the usage-graph database supervisor (scripts/ferretdb/postgres.go) at every start;
# postgresql.conf includes it. Change the Go source, not this file.

listen_addresses = '127.0.0.1'
# TCP only: FerretDB connects over loopback, and no socket folder has to exist in the root.
unix_socket_directories = ''

# DocumentDB's three libraries, as its README and FerretDB's postgres-documentdb image load them;
# pg_cron runs DocumentDB's background jobs (TTL indexes, index builds) in the postgres database.
# https://github.com/documentdb/documentdb#readme
shared_preload_libraries = 'pg_cron,pg_documentdb_core,pg_documentdb'
cron.database_name = 'postgres'
# pg_cron connects to the server like a client, by default to "localhost", which may resolve to
# ::1 where nothing listens; and it records every run (DocumentDB's jobs run every few seconds)
# in cron.job_run_details, which would grow without bound. https://github.com/citusdata/pg_cron
cron.host = '127.0.0.1'
cron.log_run = off
cron.log_statement = off

# Every commit is on disk before the client hears of it: with synchronous_commit = off, a killed
# postmaster lost 4 or 5 usages it had acknowledged (tests/integration/faults.test.ts), not only a
# machine crash as its documentation might suggest. https://www.postgresql.org/docs/18/wal-async-commit.html
synchronous_commit = on

# The server log holds only what stops a server or a connection (FATAL, PANIC). A statement's
# ERROR already reaches the client, translated by FerretDB into a MongoDB error, and many are
# routine (listIndexes on a collection not created yet, two createIndexes racing), so logging
# them again would bury the rest. LOG lines (start, checkpoints, background workers) are many and
# ranked above ERROR here, so the supervisor filters them out of what it passes on (tail).
# https://www.postgresql.org/docs/18/runtime-config-logging.html#RUNTIME-CONFIG-SEVERITY-LEVELS
log_min_messages = fatal
log_min_error_statement = panic
log_checkpoints = off
%s`

// dataInRoot is where, in chroot mode, the data folder is bind-mounted inside the root (each
// database in its own mount namespace, so the same path serves all of them).
const dataInRoot = "/var/lib/usage-graph/data"

type postgres struct {
	cfg      config
	hostData string // <data-dir>/postgres on the host
	cred     *syscall.Credential
	port     int

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{}
	exit   error
	tail   *tail
}

func newPostgres(cfg config, dataDir string) (*postgres, error) {
	p := &postgres{cfg: cfg, hostData: filepath.Join(dataDir, "postgres")}
	switch cfg.Mode {
	case "chroot":
		uid, gid, err := lookupUser(filepath.Join(cfg.Root, "etc/passwd"), "postgres")
		if err != nil {
			return nil, err
		}
		// PostgreSQL refuses to run as root, and the data folder must belong to the user it runs
		// as: the root's postgres user, whose uid the host may give to someone else.
		p.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}}
		if err := mountRootFileSystems(cfg.Root); err != nil {
			return nil, err
		}
	case "host":
		if os.Geteuid() == 0 {
			u, err := user.Lookup("postgres")
			if err != nil {
				return nil, fmt.Errorf("PostgreSQL refuses to run as root and there is no postgres user: %v", err)
			}
			uid, _ := strconv.Atoi(u.Uid)
			gid, _ := strconv.Atoi(u.Gid)
			p.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}}
		}
	default:
		return nil, fmt.Errorf("unknown mode %q in the config (run npm run db:build)", cfg.Mode)
	}
	return p, nil
}

// lookupUser reads a user's uid and gid from the root's passwd file (the host's may differ).
func lookupUser(passwd, name string) (int, int, error) {
	raw, err := os.ReadFile(passwd)
	if err != nil {
		return 0, 0, err
	}
	for _, line := range strings.Split(string(raw), "\n") {
		f := strings.Split(line, ":")
		if len(f) >= 4 && f[0] == name {
			uid, err1 := strconv.Atoi(f[2])
			gid, err2 := strconv.Atoi(f[3])
			if err1 == nil && err2 == nil {
				return uid, gid, nil
			}
		}
	}
	return 0, 0, fmt.Errorf("no user %s in %s", name, passwd)
}

// attach makes a host folder PostgreSQL's data folder and returns its path as PostgreSQL sees it.
func (p *postgres) attach(hostDir string) (string, error) {
	if p.cfg.Mode != "chroot" {
		return hostDir, nil
	}
	target := p.cfg.Root + dataInRoot
	unmount(target)
	if err := bindMount(hostDir, target); err != nil {
		return "", err
	}
	return dataInRoot, nil
}

func (p *postgres) detach() {
	if p.cfg.Mode == "chroot" {
		unmount(p.cfg.Root + dataInRoot)
	}
}

func (p *postgres) command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(filepath.Join(p.cfg.BinDir, name), args...)
	cmd.Env = []string{"PATH=/usr/bin:/bin", "LANG=C.UTF-8", "TZ=UTC"}
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Credential: p.cred,
		// Host mode has no pid namespace; this at least stops the postmaster (whose processes
		// then exit on its death) if the supervisor is killed outright.
		Pdeathsig: syscall.SIGKILL,
	}
	if p.cfg.Mode == "chroot" {
		cmd.SysProcAttr.Chroot = p.cfg.Root
		cmd.Dir = "/"
		cmd.Env = append(cmd.Env, "HOME=/var/lib/postgresql")
	}
	return cmd
}

func (p *postgres) chown(path string) error {
	if p.cred == nil {
		return nil
	}
	return os.Chown(path, int(p.cred.Uid), int(p.cred.Gid))
}

// initialize creates the cluster on first start: initdb and CREATE EXTENSION documentdb, in
// <data-dir>/postgres.init, renamed to <data-dir>/postgres only when complete, so that a start
// interrupted half-way is redone rather than taken for a cluster.
func (p *postgres) initialize(ctx context.Context) error {
	if _, err := os.Stat(filepath.Join(p.hostData, "PG_VERSION")); err == nil {
		return p.writeSettings(p.hostData)
	}
	if entries, err := os.ReadDir(p.hostData); err == nil {
		if len(entries) > 0 {
			return fmt.Errorf("%s holds files but no PostgreSQL cluster; move it away", p.hostData)
		}
		_ = os.Remove(p.hostData)
	}
	started := time.Now()
	fmt.Fprintf(os.Stderr, "usage-graph-db: creating the PostgreSQL cluster in %s...\n", p.hostData)
	tmp := p.hostData + ".init"
	if err := os.RemoveAll(tmp); err != nil {
		return err
	}
	if err := os.Mkdir(tmp, 0o700); err != nil {
		return err
	}
	if err := p.chown(tmp); err != nil {
		return err
	}
	dir, err := p.attach(tmp)
	if err != nil {
		return err
	}
	// trust: PostgreSQL listens on 127.0.0.1 only, for FerretDB, which runs without
	// authentication itself (as the embedded FerretDB 1.24 did).
	out, err := p.command("initdb", "-D", dir, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-instructions").CombinedOutput()
	if err != nil {
		return fmt.Errorf("initdb failed: %v\n%s", err, out)
	}
	conf, err := os.OpenFile(filepath.Join(tmp, "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	_, err = conf.WriteString("\n# The project's settings (scripts/ferretdb/postgres.go writes this file at every start).\ninclude 'usage-graph.conf'\n")
	conf.Close()
	if err != nil {
		return err
	}
	if err := p.writeSettings(tmp); err != nil {
		return err
	}
	if err := p.startOnFreePortIn(ctx, dir); err != nil {
		return err
	}
	err = p.exec(ctx, "CREATE EXTENSION IF NOT EXISTS documentdb CASCADE")
	p.stop()
	if err != nil {
		return fmt.Errorf("CREATE EXTENSION documentdb: %v", err)
	}
	if err := os.Rename(tmp, p.hostData); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "usage-graph-db: PostgreSQL cluster created in %.1fs.\n", time.Since(started).Seconds())
	return nil
}

func (p *postgres) writeSettings(dir string) error {
	file := filepath.Join(dir, "usage-graph.conf")
	if err := os.WriteFile(file, []byte(fmt.Sprintf(settings, documentdbSettings)), 0o644); err != nil {
		return err
	}
	return p.chown(file)
}

func (p *postgres) url() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres", p.port)
}

func (p *postgres) exec(ctx context.Context, sql string) error {
	ctx, cancel := context.WithTimeout(ctx, 120*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, p.url())
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, sql)
	return err
}

func (p *postgres) startOnFreePort(ctx context.Context) error {
	dir, err := p.attach(p.hostData)
	if err != nil {
		return err
	}
	return p.startOnFreePortIn(ctx, dir)
}

func (p *postgres) startOnFreePortIn(ctx context.Context, dir string) error {
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		if p.port, err = freePort(); err != nil {
			return err
		}
		if err = p.start(ctx, dir); err == nil || !strings.Contains(err.Error(), "already in use") {
			return err
		}
	}
	return err
}

// start runs the postmaster on p.port and waits until it accepts connections.
func (p *postgres) start(ctx context.Context, dir string) error {
	cmd := p.command("postgres", "-D", dir, "-p", strconv.Itoa(p.port))
	r, w, err := os.Pipe()
	if err != nil {
		return err
	}
	cmd.Stdout, cmd.Stderr = w, w
	t := newTail(r)
	if err := cmd.Start(); err != nil {
		w.Close()
		r.Close()
		return fmt.Errorf("cannot start postgres: %v", err)
	}
	w.Close()
	exited := make(chan struct{})
	p.mu.Lock()
	p.cmd, p.exited, p.tail = cmd, exited, t
	p.mu.Unlock()
	go func() {
		err := cmd.Wait()
		p.mu.Lock()
		p.exit = err
		p.mu.Unlock()
		close(exited)
	}()

	deadline := time.Now().Add(60 * time.Second)
	for {
		attempt, cancel := context.WithTimeout(ctx, time.Second)
		conn, err := pgx.Connect(attempt, p.url())
		cancel()
		if err == nil {
			conn.Close(context.Background())
			return nil
		}
		select {
		case <-exited:
			t.wait()
			return fmt.Errorf("postgres exited (%v): %s", p.exit, t.String())
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("postgres did not accept connections within 60s: %s", t.String())
		}
	}
}

// stop asks for a fast shutdown (SIGINT: rolls back open transactions, checkpoints) and kills
// the postmaster if that takes more than 20 seconds.
// https://www.postgresql.org/docs/18/server-shutdown.html
func (p *postgres) stop() {
	p.mu.Lock()
	cmd, exited := p.cmd, p.exited
	p.mu.Unlock()
	if cmd == nil {
		return
	}
	p.tail.quiet.Store(true)
	_ = cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-exited:
	case <-time.After(20 * time.Second):
		_ = cmd.Process.Kill()
		<-exited
	}
	p.detach()
}

func (p *postgres) close() { p.detach() }

// supervise restarts PostgreSQL, on the same port (FerretDB's pool reconnects to it), whenever it
// exits until ctx ends. It gives up, sending the reason, after five restarts within a minute or
// when a restart fails three times in a row.
func (p *postgres) supervise(ctx context.Context) <-chan error {
	failed := make(chan error, 1)
	go func() {
		var restarts []time.Time
		reap := time.NewTicker(10 * time.Second)
		defer reap.Stop()
		for {
			p.mu.Lock()
			exited, pid := p.exited, p.cmd.Process.Pid
			p.mu.Unlock()
			select {
			case <-ctx.Done():
				return
			case <-reap.C:
				reapOrphans(p.cfg.Root+"/proc", pid)
				continue
			case <-exited:
			}
			if ctx.Err() != nil {
				return
			}
			p.tail.wait()
			fmt.Fprintf(os.Stderr, "usage-graph-db: postgres exited unexpectedly (%v); restarting it on port %d\n", p.exit, p.port)
			now := time.Now()
			recent := restarts[:0]
			for _, t := range restarts {
				if now.Sub(t) < time.Minute {
					recent = append(recent, t)
				}
			}
			restarts = append(recent, now)
			if len(restarts) > 5 {
				failed <- errors.New("postgres exited more than five times within a minute; giving up")
				return
			}
			var err error
			for attempt := 1; attempt <= 3; attempt++ {
				// Its orphaned backends must exit (they notice the postmaster's death) before a new
				// postmaster may use the data folder; a second is plenty.
				time.Sleep(time.Duration(attempt) * time.Second)
				dir := p.hostData
				if p.cfg.Mode == "chroot" {
					dir = dataInRoot
				}
				if err = p.start(ctx, dir); err == nil || ctx.Err() != nil {
					break
				}
				fmt.Fprintf(os.Stderr, "usage-graph-db: restart %d failed: %v\n", attempt, err)
			}
			if ctx.Err() != nil {
				return
			}
			if err != nil {
				failed <- fmt.Errorf("postgres died and could not be restarted: %v", err)
				return
			}
			fmt.Fprintf(os.Stderr, "usage-graph-db: postgres restarted on port %d\n", p.port)
			p.mu.Lock()
			pid = p.cmd.Process.Pid
			p.mu.Unlock()
			reapOrphans(p.cfg.Root+"/proc", pid)
		}
	}()
	return failed
}

// tail copies PostgreSQL's output to our stderr, prefixed, and keeps its last lines for errors.
type tail struct {
	quiet atomic.Bool // set once a shutdown was asked for: its FATALs are expected
	mu    sync.Mutex
	lines []string
	done  chan struct{}
}

func newTail(r io.ReadCloser) *tail {
	t := &tail{done: make(chan struct{})}
	go func() {
		defer close(t.done)
		defer r.Close()
		s := bufio.NewScanner(r)
		for s.Scan() {
			// "starting up" is the answer to the supervisor's own readiness probes.
			if line := s.Text(); !strings.Contains(line, " LOG: ") && !strings.Contains(line, "the database system is starting up") && !t.quiet.Load() {
				fmt.Fprintf(os.Stderr, "postgres: %s\n", line)
			}
			t.mu.Lock()
			t.lines = append(t.lines, s.Text())
			if len(t.lines) > 10 {
				t.lines = t.lines[1:]
			}
			t.mu.Unlock()
		}
	}()
	return t
}

func (t *tail) wait() {
	select {
	case <-t.done:
	case <-time.After(time.Second):
	}
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.Join(t.lines, " | ")
}
