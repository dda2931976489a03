package local

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// FuzzDecodeFile feeds the store-file decoder arbitrary bytes: the file is
// untrusted input. A file the decoder accepts must survive a round trip
// through the encoder unchanged.
func FuzzDecodeFile(f *testing.F) {
	f.Add([]byte(`{"format":"warden-secrets","version":1,"kek":"00112233445566778899aabbccddeeff","secrets":{}}`))
	f.Add([]byte(`{"format":"warden-secrets","version":1,"kek":"00112233445566778899aabbccddeeff","secrets":{"a":{"current":1,"versions":[]}}}`))
	f.Add([]byte(`{"format":"warden-secrets","version":1,"kek":"00112233445566778899aabbccddeeff","secrets":{"a":null}}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`{"format":"warden-secrets","version":1e400}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		fd, err := decodeFile(data)
		if err != nil {
			return
		}
		enc, err := encodeFile(fd)
		if err != nil {
			t.Fatalf("accepted file does not encode: %v", err)
		}
		fd2, err := decodeFile(enc)
		if err != nil {
			t.Fatalf("re-encoded file is rejected: %v\n%s", err, enc)
		}
		enc2, err := encodeFile(fd2)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(enc, enc2) {
			t.Fatalf("encoding is not stable:\n%s\n%s", enc, enc2)
		}
	})
}

// TestSeedCorpusDecodes checks that the valid seeds in testdata/fuzz are
// still accepted, so the corpus keeps exercising the deep paths.
func TestSeedCorpusDecodes(t *testing.T) {
	for _, name := range []string{"valid-empty", "valid-stages"} {
		raw, err := os.ReadFile(filepath.Join("testdata", "fuzz", "FuzzDecodeFile", name))
		if err != nil {
			t.Fatal(err)
		}
		data := parseCorpusFile(t, raw)
		if _, err := decodeFile(data); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// parseCorpusFile extracts the []byte of a one-value "go test fuzz v1"
// file.
func parseCorpusFile(t *testing.T, raw []byte) []byte {
	t.Helper()
	const header = "go test fuzz v1\n[]byte("
	if !bytes.HasPrefix(raw, []byte(header)) {
		t.Fatalf("not a corpus file")
	}
	lit := bytes.TrimSuffix(bytes.TrimSpace(raw[len(header):]), []byte(")"))
	s, err := strconv.Unquote(string(lit))
	if err != nil {
		t.Fatal(err)
	}
	return []byte(s)
}
