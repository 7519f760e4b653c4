package account

import (
	"context"
	"slices"

	"github.com/uptrace/bun"

	"github.com/peeracademy/peeracademy/internal/database"
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

// LoadUserByEmail loads a user by email address (normalised: see NormalizeEmail).
func LoadUserByEmail(ctx context.Context, db bun.IDB, email string) (*User, error) {
	u := new(User)
	return u, db.NewSelect().Model(u).Where("email = ?", email).Scan(ctx)
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
	return vendorNames(ctx, db, nil)
}

// VendorNamesByID returns the names of the vendors among ids, by id (one query for a whole list).
func VendorNamesByID(ctx context.Context, db bun.IDB, ids []string) (map[string]string, error) {
	if len(ids) == 0 {
		return map[string]string{}, nil
	}
	return vendorNames(ctx, db, ids)
}

// vendorNames reads the names of the vendors among ids, or of every vendor when ids is nil.
func vendorNames(ctx context.Context, db bun.IDB, ids []string) (map[string]string, error) {
	var vs []Vendor
	q := db.NewSelect().Model(&vs).Column("id", "name")
	if ids != nil {
		q = q.Where("id IN (?)", bun.In(ids))
	}
	if err := q.Scan(ctx); err != nil && !database.ErrIsNotFound(err) {
		return nil, err
	}
	out := make(map[string]string, len(vs))
	for _, v := range vs {
		out[v.ID] = v.Name
	}
	return out, nil
}

// LockUser locks a user's row until the caller's transaction ends, which serialises work per user
// (two starts of the same thing at once) on PostgreSQL. On SQLite it does nothing: its transactions
// are immediate, one writer at a time.
func LockUser(ctx context.Context, tx bun.Tx, id string) error {
	return LockUsers(ctx, tx, []string{id})
}

// LockUsers is LockUser for several users, locked in id order so that two transactions locking
// overlapping sets never wait on each other in a circle.
func LockUsers(ctx context.Context, tx bun.Tx, ids []string) error {
	if len(ids) == 0 || !database.IsPostgres(tx) {
		return nil
	}
	ids = slices.Compact(slices.Sorted(slices.Values(ids)))
	_, err := tx.NewRaw("SELECT id FROM users WHERE id IN (?) ORDER BY id FOR UPDATE", bun.In(ids)).Exec(ctx)
	return err
}

// LockVendor locks a vendor's row until the caller's transaction ends, which serialises work per
// vendor on PostgreSQL (nothing to do on SQLite, as for LockUser).
func LockVendor(ctx context.Context, tx bun.Tx, id string) error {
	if !database.IsPostgres(tx) {
		return nil
	}
	_, err := tx.NewRaw("SELECT id FROM vendors WHERE id = ? FOR UPDATE", id).Exec(ctx)
	return err
}
