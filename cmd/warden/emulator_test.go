package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestCheckControlAddr(t *testing.T) {
	tests := []struct {
		addr        string
		allowRemote bool
		wantErr     bool
		wantWarning bool
	}{
		{addr: "127.0.0.1:8484"},
		{addr: "[::1]:8484"},
		{addr: "localhost:8484"},
		{addr: ":8484", wantErr: true},
		{addr: "0.0.0.0:8484", wantErr: true},
		{addr: "[::]:8484", wantErr: true},
		{addr: "192.0.2.10:8484", wantErr: true},
		{addr: "0.0.0.0:8484", allowRemote: true, wantWarning: true},
	}
	for _, tt := range tests {
		var stderr bytes.Buffer
		err := checkControlAddr(tt.addr, tt.allowRemote, &stderr)
		if (err != nil) != tt.wantErr {
			t.Errorf("checkControlAddr(%q, %v) = %v, want error %v", tt.addr, tt.allowRemote, err, tt.wantErr)
		}
		if err != nil && !strings.Contains(err.Error(), "--allow-remote-control") {
			t.Errorf("checkControlAddr(%q): error %q does not name --allow-remote-control", tt.addr, err)
		}
		if got := strings.Contains(stderr.String(), "warning:"); got != tt.wantWarning {
			t.Errorf("checkControlAddr(%q, %v): warning %q, want one: %v", tt.addr, tt.allowRemote, stderr.String(), tt.wantWarning)
		}
	}
}
