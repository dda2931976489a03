package web_test

import (
	"encoding/json"
	"testing"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
)

// TestOpenAPIMetaSchema validates the OpenAPI document against the
// OpenAPI 3.1 specification's JSON Schema (which libopenapi-validator
// embeds: no network).
func TestOpenAPIMetaSchema(t *testing.T) {
	b, err := json.Marshal(newServer(t, demoStore(), true).OpenAPI())
	if err != nil {
		t.Fatal(err)
	}
	doc, err := libopenapi.NewDocument(b)
	if err != nil {
		t.Fatal(err)
	}
	v, errs := validator.NewValidator(doc)
	if len(errs) > 0 {
		t.Fatalf("validator: %v", errs)
	}
	if ok, verrs := v.ValidateDocument(); !ok {
		for _, e := range verrs {
			t.Errorf("%s: %s", e.Message, e.Reason)
			for _, s := range e.SchemaValidationErrors {
				t.Errorf("  %s", s.Reason)
			}
		}
	}
	// Not vacuous: a document the specification rejects fails.
	bad, err := libopenapi.NewDocument([]byte(`{"openapi": "3.1.0", "info": {"title": "x"}, "paths": {"/a": {"get": {"responses": {"200": {}}}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	vb, _ := validator.NewValidator(bad)
	if ok, _ := vb.ValidateDocument(); ok {
		t.Error("a document without info.version and a response without a description passes")
	}
}
