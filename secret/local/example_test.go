package local_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/secret/local"
)

// A rotation: stage a pending version, verify it, promote it.
func Example() {
	dir, _ := os.MkdirTemp("", "warden-example")
	defer os.RemoveAll(dir)

	kek, err := local.GenerateKEKFile(filepath.Join(dir, "kek")) // or KEKFromFile, KEKFromEnv
	if err != nil {
		panic(err)
	}
	s, err := local.Open(filepath.Join(dir, "secrets.json"), kek)
	if err != nil {
		panic(err)
	}
	defer s.Close()
	ctx := context.Background()

	s.Put(ctx, "acme/prod/password", []byte("old"), warden.StageCurrent, map[string]string{"owner": "billing"})
	s.Put(ctx, "acme/prod/password", []byte("new"), warden.StagePending, nil)
	// ... verify the pending credential against Salesforce, then:
	s.Promote(ctx, "acme/prod/password")

	versions, _ := s.Versions(ctx, "acme/prod/password")
	for _, v := range versions {
		got, _ := s.GetVersion(ctx, v.Key, v.Version)
		fmt.Println(v.Version, v.Stage, string(got.Value))
	}
	// Output:
	// 2 current new
	// 1 previous old
}

func ExampleStore_RotateKEK() {
	dir, _ := os.MkdirTemp("", "warden-example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "secrets.json")

	oldKEK, newKEK := local.GenerateKEK(), local.GenerateKEK()
	s, _ := local.Open(path, oldKEK)
	s.Put(context.Background(), "k", []byte("v"), warden.StageCurrent, nil)
	if err := s.RotateKEK(context.Background(), newKEK); err != nil {
		panic(err)
	}
	s.Close()

	_, err := local.Open(path, oldKEK)
	fmt.Println(warden.ErrorKind(err))
	s, _ = local.Open(path, newKEK)
	got, _ := s.Get(context.Background(), "k", warden.StageCurrent)
	fmt.Println(string(got.Value))
	s.Close()
	// Output:
	// unauthorized
	// v
}
