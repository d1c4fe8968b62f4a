// Package wire holds what the REST clients (restapi/pravega, restapi/flink)
// share: the Getter they read through, which backend/restapi implements for
// the API server's service proxy and for a direct URL, and the decoding of
// a 2xx body with the one error type that says it could not be used.
package wire

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
)

// Getter fetches one path of a REST API (e.g. "/v1/scopes", "/overview")
// and returns the body of a 2xx answer; any other outcome is an error that
// already names the request. path is the URL path as sent on the wire
// (already escaped), relative to the API's root.
type Getter interface {
	Get(ctx context.Context, path string, query url.Values) ([]byte, error)
}

// DecodeError says that a 2xx body could not be used: malformed JSON or a
// field the console needs missing.
type DecodeError struct {
	Path string
	Err  error
}

func (e *DecodeError) Error() string { return "GET " + e.Path + ": " + e.Err.Error() }
func (e *DecodeError) Unwrap() error { return e.Err }

// Decode unmarshals the body of GET path into v; a failure is a
// DecodeError that says where the JSON broke or which field had the wrong
// type.
func Decode(path string, body []byte, v any) error {
	if err := json.Unmarshal(body, v); err != nil {
		return &DecodeError{Path: path, Err: ExplainJSON(err)}
	}
	return nil
}

// ExplainJSON rewords an encoding/json error for the user: the byte offset
// of a syntax error, the field and both types of a type mismatch.
func ExplainJSON(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Errorf("malformed JSON at byte %d: %w", syn.Offset, err)
	case errors.As(err, &typ):
		return fmt.Errorf("field %s is %s, the API document says %s", typ.Field, typ.Value, typ.Type)
	}
	return fmt.Errorf("malformed JSON: %w", err)
}

// Missing is the DecodeError for a field the console needs that the body
// of GET path lacks in the object described by in ("a scope").
func Missing(path, field, in string) error {
	return &DecodeError{Path: path, Err: fmt.Errorf("%s without %s (required by the console)", in, field)}
}
