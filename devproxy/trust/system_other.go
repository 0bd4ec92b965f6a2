//go:build !linux && !darwin && !windows

package trust

var defaultStores = []string{System, NSS}

// systemStore has no automatic way on this system (the BSDs differ).
func systemStore(o Options) Report {
	return Report{Store: System, Where: "system CA store", Skipped: true,
		What: "skipped: devproxy does not know this system's CA store",
		Fix:  "add " + o.Root.Path + " to the system's CA certificates (FreeBSD: certctl trust " + o.Root.Path + ")"}
}
