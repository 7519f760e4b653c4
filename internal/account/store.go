package account

import (
	"context"

	"github.com/uptrace/bun"
)

// Reads of the users and vendors tables for other packages, which call these instead of querying
// the tables themselves (this package owns them). Each takes the caller's handle so that it can run
// in the caller's transaction, and returns the driver's error as is (sql.ErrNoRows when absent).

// LoadVendor loads a vendor by id.
func LoadVendor(ctx context.Context, db bun.IDB, id string) (*Vendor, error) {
	v := new(Vendor)
	return v, db.NewSelect().Model(v).Where("id = ?", id).Scan(ctx)
}

// LoadVendorBySlug loads a vendor by its short name.
func LoadVendorBySlug(ctx context.Context, db bun.IDB, slug string) (*Vendor, error) {
	v := new(Vendor)
	return v, db.NewSelect().Model(v).Where("slug = ?", slug).Scan(ctx)
}

// VendorName returns a vendor's name.
func VendorName(ctx context.Context, db bun.IDB, id string) (string, error) {
	var name string
	return name, db.NewSelect().Model((*Vendor)(nil)).Column("name").Where("id = ?", id).Scan(ctx, &name)
}

// LoadUser loads a user by id.
func LoadUser(ctx context.Context, db bun.IDB, id string) (*User, error) {
	u := new(User)
	return u, db.NewSelect().Model(u).Where("id = ?", id).Scan(ctx)
}

// UsersByID loads the users among ids (all when role is "", else those with the role); columns,
// when given, limits what is read.
func UsersByID(ctx context.Context, db bun.IDB, ids []string, role string, columns ...string) ([]User, error) {
	var us []User
	if len(ids) == 0 {
		return us, nil
	}
	q := db.NewSelect().Model(&us).Where("id IN (?)", bun.In(ids))
	if len(columns) > 0 {
		q = q.Column(columns...)
	}
	if role != "" {
		q = q.Where("role = ?", role)
	}
	return us, q.Scan(ctx)
}

// Email returns a user's address.
func Email(ctx context.Context, db bun.IDB, id string) (string, error) {
	var email string
	return email, db.NewSelect().Model((*User)(nil)).Column("email").Where("id = ?", id).Scan(ctx, &email)
}

// VendorNames returns every vendor's name by id.
func VendorNames(ctx context.Context, db bun.IDB) (map[string]string, error) {
	var vs []Vendor
	if err := db.NewSelect().Model(&vs).Column("id", "name").Scan(ctx); err != nil {
		return nil, err
	}
	out := make(map[string]string, len(vs))
	for _, v := range vs {
		out[v.ID] = v.Name
	}
	return out, nil
}
