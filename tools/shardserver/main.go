// Command aviary-shardserver serves one MongoDB wire-protocol endpoint backed by
// embedded FerretDB (SQLite handler), so Aviary's tests and local clusters need
// neither a MongoDB install nor a PostgreSQL server.
//
//	aviary-shardserver --listen 127.0.0.1:PORT --data-dir DIR [--log-level warn]
//
// Contract for parent processes:
//   - once the port is bound and the data dir opened, exactly one line goes to
//     stdout: "ready mongodb://HOST:PORT/"; nothing else is ever written there;
//   - "--listen 127.0.0.1:0" works: FerretDB binds inside New(), so the ready
//     line carries the kernel-chosen port;
//   - SIGTERM/SIGINT shut down cleanly with exit 0 (a second signal kills at once);
//   - a startup failure prints one "aviary-shardserver: ..." line to stderr, exit 1.
//
// Telemetry: the embeddable package (unlike cmd/ferretdb) never starts the
// telemetry reporter and forces it disabled+locked in an in-memory state provider
// (state.NewProvider("")), so nothing is sent anywhere and no state.json is written.
// The only files written are DIR/*.sqlite (+ WAL/SHM side files).
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintf(os.Stderr, "aviary-shardserver: %s\n", err)
		os.Exit(1)
	}
}

func run() error {
	listen := flag.String("listen", "127.0.0.1:27017", "TCP address to serve the MongoDB wire protocol on")
	dataDir := flag.String("data-dir", "", "directory for the SQLite database files (created if missing)")
	logLevel := flag.String("log-level", "warn", "FerretDB log level on stderr: debug, info, warn, error")
	flag.Parse()

	if flag.NArg() != 0 {
		return fmt.Errorf("unexpected arguments: %q", flag.Args())
	}
	if *dataDir == "" {
		return fmt.Errorf("--data-dir is required")
	}

	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return fmt.Errorf("bad --log-level %q: %s", *logLevel, err)
	}

	dir, err := filepath.Abs(*dataDir)
	if err != nil {
		return fmt.Errorf("bad --data-dir %q: %s", *dataDir, err)
	}
	// FerretDB turns the dir into SQLite URIs without escaping it again, so
	// characters meaningful in a URI would silently point elsewhere; refuse them.
	if strings.ContainsAny(dir, "?#%") {
		return fmt.Errorf("--data-dir %q must not contain '?', '#' or '%%'", dir)
	}
	if err = os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("cannot create --data-dir: %s", err)
	}

	// FerretDB insists on a "file:" URI naming an existing directory with a trailing "/".
	sqliteURL := (&url.URL{Scheme: "file", Path: dir + "/"}).String()

	// Our own handler (not slog.Default) so FerretDB's chatter stays on stderr
	// at the requested level and can never reach the stdout readiness channel.
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	// Binds the port and opens existing databases; "address already in use" and
	// unusable dirs surface here rather than in Run.
	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: *listen},
		Logger:    logger,
		Handler:   "sqlite",
		SQLiteURL: sqliteURL,
	})
	if err != nil {
		return fmt.Errorf("cannot start on %s with data dir %s: %s", *listen, dir, err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	go func() {
		<-ctx.Done()
		stop() // restore default handling so a second signal terminates a stuck shutdown
	}()

	// os.Stdout is unbuffered, so this single write is the flush.
	if _, err = fmt.Fprintf(os.Stdout, "ready %s\n", f.MongoDBURI()); err != nil {
		return fmt.Errorf("cannot write ready line: %s", err)
	}

	// Run returns once listeners are closed, open connections have finished
	// and the SQLite databases are closed (WAL checkpointed).
	return f.Run(ctx)
}
