// Command usage-graph-db runs the project's default database: PostgreSQL 18 with the DocumentDB
// extension, and FerretDB 2 (a MongoDB wire-protocol server) on top of it, embedded through
// FerretDB's package github.com/FerretDB/FerretDB/v2/ferretdb. See docs/database.md.
//
// It is the supervisor of both: it creates the PostgreSQL cluster on first start (initdb and
// CREATE EXTENSION documentdb), starts PostgreSQL on a free loopback port, restarts it if it dies,
// runs FerretDB on another free loopback port, and prints one line "ready <mongodb uri>" on stdout
// once FerretDB accepts connections. It exits, stopping PostgreSQL first, on SIGINT/SIGTERM or when
// its standard input closes: the Node process that starts it holds stdin open, so the database
// stops with that process even when it is killed with SIGKILL. It exits non-zero with a message on
// stderr if PostgreSQL cannot be (re)started.
//
// Why a wrapper and not FerretDB's own cmd/ferretdb: cmd/ferretdb built from the module zip lacks
// the version file FerretDB's release tooling generates, and it knows nothing of PostgreSQL's
// lifetime; the embeddable package is FerretDB's documented way to run it from another program
// (https://pkg.go.dev/github.com/FerretDB/FerretDB/v2/ferretdb).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/FerretDB/FerretDB/v2/ferretdb"
)

// config is .tools/db.json, written by scripts/db/build.sh.
type config struct {
	// Mode is "host" (the machine's own PostgreSQL 18 + DocumentDB) or "chroot" (the Debian root
	// scripts/db/provision-root.sh built).
	Mode   string `json:"mode"`
	Root   string `json:"root"`   // chroot mode: the root's path on the host
	BinDir string `json:"bindir"` // PostgreSQL's bin folder (inside the root in chroot mode)
}

func main() {
	configFile := flag.String("config", "", "the .tools/db.json scripts/db/build.sh wrote")
	dataDir := flag.String("data-dir", "", "folder for the database's files (PostgreSQL's in <data-dir>/postgres)")
	listen := flag.String("listen", "127.0.0.1:0", "FerretDB's TCP address (port 0 picks a free port)")
	logLevel := flag.String("log-level", "error", "FerretDB's log level: debug, info, warn or error")
	inNamespace := flag.Bool("in-namespace", false, "internal: already re-executed in private namespaces")
	flag.Parse()

	if err := run(*configFile, *dataDir, *listen, *logLevel, *inNamespace); err != nil {
		fmt.Fprintf(os.Stderr, "usage-graph-db: %v\n", err)
		os.Exit(1)
	}
}

func run(configFile, dataDir, listen, logLevel string, inNamespace bool) error {
	var level slog.Level
	if err := level.UnmarshalText([]byte(logLevel)); err != nil {
		return fmt.Errorf("bad -log-level %q", logLevel)
	}
	if configFile == "" || dataDir == "" {
		return errors.New("-config and -data-dir are required")
	}
	raw, err := os.ReadFile(configFile)
	if err != nil {
		return fmt.Errorf("%v (run npm run db:build)", err)
	}
	var cfg config
	if err := json.Unmarshal(raw, &cfg); err != nil {
		return fmt.Errorf("%s: %v", configFile, err)
	}
	if dataDir, err = filepath.Abs(dataDir); err != nil {
		return err
	}

	if cfg.Mode == "chroot" && !inNamespace {
		// Never returns on success: the process becomes unshare, which runs this program again
		// in private namespaces (see namespace.go for why).
		return reexecInNamespaces()
	}

	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return err
	}
	// PostgreSQL's own guard against two postmasters on one data folder (the pid in
	// postmaster.pid) cannot see across pid namespaces, so this lock on the host's file system
	// is what keeps two launchers off the same folder.
	lock, err := os.OpenFile(filepath.Join(dataDir, "postgres.lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return err
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		return fmt.Errorf("another database is already running on %s (%v)", dataDir, err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		// The parent holds our stdin open; EOF means it is gone.
		_, _ = io.Copy(io.Discard, os.Stdin)
		stop()
	}()

	pg, err := newPostgres(cfg, dataDir)
	if err != nil {
		return err
	}
	defer pg.close()
	if err := pg.initialize(ctx); err != nil {
		return err
	}
	if err := pg.startOnFreePort(ctx); err != nil {
		return err
	}
	defer pg.stop()

	telemetry := false // no network to report to, and a developer database has nothing to report
	f, err := ferretdb.New(&ferretdb.Config{
		PostgreSQLURL: pg.url(),
		ListenAddr:    listen,
		StateDir:      ensureDir(filepath.Join(dataDir, "ferretdb-state")),
		LogLevel:      level,
		LogOutput:     os.Stderr,
		Telemetry:     &telemetry,
	})
	if err != nil {
		return fmt.Errorf("FerretDB: %w", err)
	}

	ferretCtx, stopFerret := context.WithCancel(context.Background())
	ferretDone := make(chan struct{})
	go func() {
		f.Run(ferretCtx)
		close(ferretDone)
	}()
	// MongoDBURI blocks until the listener is bound.
	uri := f.MongoDBURI()
	if err := waitTCP(ctx, uri); err != nil {
		stopFerret()
		return err
	}
	fmt.Printf("ready %s\n", uri)

	supervised := pg.supervise(ctx)
	var result error
	select {
	case <-ctx.Done():
	case err := <-supervised:
		result = err
	case <-ferretDone:
		result = errors.New("FerretDB stopped unexpectedly")
	}
	// FerretDB first, so that no client sees PostgreSQL go away under it.
	stopFerret()
	select {
	case <-ferretDone:
	case <-time.After(10 * time.Second):
	}
	return result
}

func ensureDir(dir string) string {
	_ = os.MkdirAll(dir, 0o755)
	return dir
}

// waitTCP waits until FerretDB's listener accepts a connection.
func waitTCP(ctx context.Context, uri string) error {
	host := uri[len("mongodb://"):]
	if i := len(host) - 1; i >= 0 && host[i] == '/' {
		host = host[:i]
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", host, time.Second)
		if err == nil {
			return conn.Close()
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("FerretDB does not accept connections on %s: %v", host, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// freePort asks the kernel for a free loopback port. Another process may take it before
// PostgreSQL binds it; startOnFreePort then tries another.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	_, port, _ := net.SplitHostPort(l.Addr().String())
	return strconv.Atoi(port)
}
