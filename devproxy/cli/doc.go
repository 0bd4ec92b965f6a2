// Package cli is devproxy's command line: the commands (serve, check,
// which, init, demo, doctor, version), their flags and help, the console
// log format and the start banner. It is the only package that knows
// about os.Args, terminals and exit statuses; the others never print to
// the terminal on their own.
package cli
