// Package compat holds evnet's compatibility tests with package net; it has
// no code of its own.
//
// The tests are in package compat_test. They check that evnet exports net's
// whole API with the same kinds and signatures (api_test.go reads
// $GOROOT/api and type-checks evnet from source), and they run the same
// scenarios on net and on evnet and compare the results, error chains
// included.
package compat
