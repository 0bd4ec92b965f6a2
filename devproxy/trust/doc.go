// Package trust installs devproxy's root certificate in the stores that
// browsers and tools read — the NSS databases of Chromium and Firefox, the
// operating system's store — and removes it again, reporting per store what
// it did.
//
// It never creates or reads the CA's private key (the localca package owns
// the CA), and never asks for privileges itself: a store that needs root
// says which commands to run with sudo.
package trust
