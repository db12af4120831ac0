package benchkit

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// ListenLinePrefix starts the line on which a child role prints its
// address once it listens.
const ListenLinePrefix = "listening "

// Process is a child process that this program started and must stop.
type Process struct {
	Name string
	Addr string
	cmd  *exec.Cmd
	done chan error
}

// StartRole starts this program again with args, which select a server
// role, and waits for the "listening ADDR" line of its standard output.
// The child's standard error goes to logPath.
func StartRole(ctx context.Context, name, logPath string, args ...string) (*Process, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("finding this program's executable: %w", err)
	}
	cmd := exec.Command(self, args...)
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("creating log file: %w", err)
	}
	defer logFile.Close()
	cmd.Stderr = logFile
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("piping %s output: %w", name, err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	p := &Process{Name: name, cmd: cmd, done: make(chan error, 1)}

	lines := make(chan string, 1)
	go func() {
		scanner := bufio.NewScanner(stdout)
		for scanner.Scan() {
			if addr, ok := strings.CutPrefix(scanner.Text(), ListenLinePrefix); ok {
				lines <- addr
				break
			}
		}
		// Drain the rest so the child never blocks on a full pipe.
		for scanner.Scan() {
		}
		p.done <- cmd.Wait()
	}()
	select {
	case p.Addr = <-lines:
		return p, nil
	case err := <-p.done:
		return nil, fmt.Errorf("%s exited before listening (log %s): %v", name, logPath, err)
	case <-time.After(10 * time.Second):
		p.Stop()
		return nil, fmt.Errorf("%s did not report its address within 10s (log %s)", name, logPath)
	case <-ctx.Done():
		p.Stop()
		return nil, ctx.Err()
	}
}

// Stop sends SIGTERM to the process by its PID, and SIGKILL if it has not
// exited after 5 seconds.
func (p *Process) Stop() {
	if p == nil || p.cmd.Process == nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// PID returns the process ID.
func (p *Process) PID() int { return p.cmd.Process.Pid }

// Serve listens on addr, prints the "listening ADDR" line for the parent
// and serves h until SIGTERM or SIGINT.
func Serve(addr string, h http.Handler) error {
	listener, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", addr, err)
	}
	fmt.Println(ListenLinePrefix + listener.Addr().String())
	server := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	return serveUntilSignal(server, listener)
}

// StartPlugboard builds cmd/plugboard into dir and starts it on a free
// loopback port with private egress allowed, an empty SQLite database in
// dir, the given admin token and args added to serve's flags.
func StartPlugboard(ctx context.Context, dir, adminToken string, args []string) (*Process, error) {
	binary, err := BuildPlugboard(ctx, dir)
	if err != nil {
		return nil, err
	}
	return StartPlugboardBinary(binary, PlugboardOptions{Dir: dir, AdminToken: adminToken, Args: args})
}

// DefineServeFlags defines the -serve-flags flag on the default flag set.
// Call strings.Fields on its value after flag.Parse.
func DefineServeFlags() *string {
	return flag.String("serve-flags", "",
		"space-separated flags added to plugboard serve, such as \"--debug-addr 127.0.0.1:6060\"")
}

// BuildPlugboard builds cmd/plugboard into dir and returns the binary's
// path.
func BuildPlugboard(ctx context.Context, dir string) (string, error) {
	binary := filepath.Join(dir, "plugboard")
	build := exec.CommandContext(ctx, "go", "build", "-o", binary, "github.com/plugboard/plugboard/cmd/plugboard")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		return "", fmt.Errorf("building plugboard (run from inside the module): %w", err)
	}
	return binary, nil
}

// PlugboardOptions configure one plugboard process.
type PlugboardOptions struct {
	// Dir holds the process's log, named after Name, and its data folder.
	Dir string
	// Name identifies the process in log file names and messages. Empty
	// means "plugboard".
	Name       string
	AdminToken string
	// Args are added to "serve --addr ADDR --data-dir DIR
	// --allow-private-egress", such as a --database-url.
	Args []string
	// Env is added to the environment, such as PLUGBOARD_MASTER_KEY.
	Env []string
}

// StartPlugboardBinary starts a built plugboard on a free loopback port and
// waits until /readyz returns 200.
func StartPlugboardBinary(binary string, opts PlugboardOptions) (*Process, error) {
	name := opts.Name
	if name == "" {
		name = "plugboard"
	}
	addr, err := freeLoopbackAddr()
	if err != nil {
		return nil, err
	}
	logFile, err := os.Create(filepath.Join(opts.Dir, name+".log"))
	if err != nil {
		return nil, fmt.Errorf("creating log file: %w", err)
	}
	defer logFile.Close()
	args := append([]string{"serve", "--addr", addr, "--data-dir", filepath.Join(opts.Dir, name+"-data"), "--allow-private-egress"}, opts.Args...)
	cmd := exec.Command(binary, args...)
	cmd.Env = append(append(os.Environ(), "PLUGBOARD_ADMIN_TOKEN="+opts.AdminToken), opts.Env...)
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	p := &Process{Name: name, Addr: addr, cmd: cmd, done: make(chan error, 1)}
	go func() { p.done <- cmd.Wait() }()

	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p, nil
			}
		}
		select {
		case err := <-p.done:
			return nil, fmt.Errorf("%s exited before it was ready (log %s): %v", name, logFile.Name(), err)
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			p.Stop()
			return nil, fmt.Errorf("%s was not ready within 20s; see %s", name, logFile.Name())
		}
	}
}

// freeLoopbackAddr returns a loopback address whose port was free a moment
// ago.
func freeLoopbackAddr() (string, error) {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("finding a free port: %w", err)
	}
	addr := listener.Addr().String()
	return addr, listener.Close()
}
