//go:build !unix

package miniotest

import "os/exec"

// setProcessGroup is a no-op on this platform.
func setProcessGroup(*exec.Cmd) {}

// killProcessGroup kills the server process.
func killProcessGroup(cmd *exec.Cmd) {
	if cmd.Process != nil {
		_ = cmd.Process.Kill()
	}
}
