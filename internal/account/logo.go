package account

// LogoKey is where a vendor's logo is kept in the media store: uploaded from the Organisation page,
// drawn on the certificates the vendor issues.
func LogoKey(vendorID string) string { return "vendors/" + vendorID + "/logo" }
