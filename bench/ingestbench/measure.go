package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"syscall"
	"time"
)

// measureCommand runs a command (standard streams passed through, SIGTERM and SIGINT
// forwarded) and, when it ends, writes its CPU time and the bytes it wrote to storage to
// the -out file as "cpu_s=... written_mb=... wall_s=...". Linux rusage counts written
// blocks of 512 bytes.
func measureCommand(args []string) error {
	fs := flag.NewFlagSet("measure", flag.ContinueOnError)
	out := fs.String("out", "", "file to write the figures to")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" || fs.NArg() == 0 {
		return errors.New("measure: -out FILE -- COMMAND ARGS...")
	}
	cmd := exec.Command(fs.Arg(0), fs.Args()[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	started := time.Now()
	if err := cmd.Start(); err != nil {
		return err
	}
	go func() {
		for s := range sigs {
			cmd.Process.Signal(s)
		}
	}()
	runErr := cmd.Wait()
	wall := time.Since(started)
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		return errors.Join(runErr, errors.New("measure: no resource usage on this system"))
	}
	cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	line := fmt.Sprintf("cpu_s=%.2f written_mb=%.0f wall_s=%.2f\n", cpu.Seconds(), float64(ru.Oublock)*512/1e6, wall.Seconds())
	if err := os.WriteFile(*out, []byte(line), 0o644); err != nil {
		return err
	}
	var exit *exec.ExitError
	if errors.As(runErr, &exit) && exit.Sys().(syscall.WaitStatus).Signaled() {
		return nil // stopped by the signal we forwarded
	}
	return runErr
}
