package trust

import (
	"errors"
	"syscall"
	"unsafe"

	"golang.org/x/sys/windows"
)

var defaultStores = []string{System}

// cryptEExists is CRYPT_E_EXISTS, CertAddCertificateContextToStore's "already there".
const cryptEExists = syscall.Errno(0x80092005)

// systemStore adds the root to the current user's Root store, which
// Chrome, Edge and (with enterprise roots, its default) Firefox read.
// Windows shows its own confirmation dialog for it.
func systemStore(o Options) Report {
	r := Report{Store: System, Where: "Windows certificate store (Current User\\Root)"}
	root, err := windows.UTF16PtrFromString("ROOT")
	if err != nil {
		r.Err = err
		return r
	}
	store, err := windows.CertOpenStore(windows.CERT_STORE_PROV_SYSTEM, 0, 0, windows.CERT_SYSTEM_STORE_CURRENT_USER, uintptr(unsafe.Pointer(root)))
	if err != nil {
		r.Err = err
		return r
	}
	defer windows.CertCloseStore(store, 0)
	der := o.Root.Cert.Raw
	cert, err := windows.CertCreateCertificateContext(windows.X509_ASN_ENCODING|windows.PKCS_7_ASN_ENCODING, &der[0], uint32(len(der)))
	if err != nil {
		r.Err = err
		return r
	}
	defer windows.CertFreeCertificateContext(cert)
	if !o.Uninstall {
		err := windows.CertAddCertificateContextToStore(store, cert, windows.CERT_STORE_ADD_NEW, nil)
		switch {
		case errors.Is(err, cryptEExists):
			r.What = "already trusted"
		case err != nil:
			r.Err = err
		default:
			r.What = "installed"
		}
		return r
	}
	found, err := windows.CertFindCertificateInStore(store, windows.X509_ASN_ENCODING|windows.PKCS_7_ASN_ENCODING, 0, windows.CERT_FIND_EXISTING, unsafe.Pointer(cert), nil)
	if err != nil || found == nil {
		r.What = "not installed"
		return r
	}
	r.What = "removed"
	r.Err = windows.CertDeleteCertificateFromStore(found) // frees found
	return r
}
