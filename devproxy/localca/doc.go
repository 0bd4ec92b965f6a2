// Package localca owns devproxy's local certificate authority: it creates
// or loads the root certificate and key in a directory its caller names,
// and issues short-lived leaf certificates in memory, one per TLS server
// name, for the names its caller allows.
//
// It never writes a leaf certificate or key to disk, never hands out the
// root key, and never touches the operating system's trust stores (the
// trust package does that); only the command line decides where the
// directory is (os.UserConfigDir()/devproxy).
package localca
