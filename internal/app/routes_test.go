package app_test

import (
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/testutil/apptest"
	"github.com/peeracademy/peeracademy/internal/testutil/dbtest"
)

// Who may use each route. Every registered route must be listed here, so a new route cannot be added
// without deciding its access (TestEveryRouteAgainstEveryRole fails until it is).
const (
	public   = "public"   // anyone, signed in or not
	signedIn = "signedin" // any signed-in user
)

var access = map[string][]string{
	"GET /":                                  {public},
	"GET /privacy":                           {public},
	"GET /healthz":                           {public},
	"GET /readyz":                            {public},
	"GET /metrics":                           {public},
	"GET /static/:hash/*":                    {public},
	"GET /register":                          {public},
	"POST /register":                         {public},
	"GET /verify-email":                      {public},
	"GET /login":                             {public},
	"POST /login":                            {public},
	"GET /login/mfa":                         {public},
	"POST /login/mfa":                        {public},
	"POST /logout":                           {public},
	"GET /password/forgot":                   {public},
	"POST /password/forgot":                  {public},
	"GET /password/reset":                    {public},
	"POST /password/reset":                   {public},
	"GET /setup":                             {public},
	"POST /setup":                            {public},
	"GET /invite":                            {public},
	"POST /invite":                           {public},
	"GET /account/mfa":                       {signedIn}, // signed in, or held at the two-factor set-up stage
	"POST /account/mfa":                      {signedIn},
	"GET /dashboard":                         {signedIn},
	"GET /account":                           {signedIn},
	"POST /account/sessions/end":             {signedIn},
	"GET /account/data":                      {signedIn},
	"POST /account/data/export":              {signedIn},
	"GET /account/data/exports/:id/download": {signedIn},
	"GET /account/delete":                    {account.RoleCandidate},
	"POST /account/delete":                   {account.RoleCandidate},
	"GET /vendor":                            {account.RoleVendorAdmin},
	"POST /vendor/logo":                      {account.RoleVendorAdmin},
	"POST /vendor/invitations":               {account.RoleVendorAdmin},
	"GET /vendors/:id/logo":                  {account.RoleVendorAdmin, account.RolePlatformAdmin},
	"GET /users":                             {account.RoleVendorAdmin, account.RolePlatformAdmin},
	"POST /users/:id/disable":                {account.RoleVendorAdmin, account.RolePlatformAdmin},
	"POST /users/:id/enable":                 {account.RoleVendorAdmin, account.RolePlatformAdmin},
	"GET /audit":                             {account.RoleVendorAdmin, account.RolePlatformAdmin},
	"GET /admin/vendors":                     {account.RolePlatformAdmin},
	"POST /admin/vendors":                    {account.RolePlatformAdmin},
	"GET /admin/vendors/:id":                 {account.RolePlatformAdmin},
	"POST /admin/vendors/:id/recognition":    {account.RolePlatformAdmin},
	"POST /admin/vendors/:id/invitations":    {account.RolePlatformAdmin},
	"GET /admin/mail":                        {account.RolePlatformAdmin},
	"GET /admin/status":                      {account.RolePlatformAdmin},
	"GET /admin/mail/:id":                    {account.RolePlatformAdmin},

	"GET /learn":                          {account.RoleCandidate},
	"GET /learn/:slug":                    {signedIn},
	"POST /learn/:slug/check":             {account.RoleCandidate},
	"GET /learn/:slug/handouts/*":         {signedIn},
	"GET /media/content/*":                {signedIn},
	"GET /media/vendor/:vendor/:id":       {signedIn},
	"GET /vendor/media":                   {account.RoleVendorAdmin},
	"POST /vendor/media":                  {account.RoleVendorAdmin},
	"GET /teach":                          {account.RoleTrainer, account.RoleVendorAdmin},
	"POST /teach/cohorts":                 {account.RoleVendorAdmin},
	"GET /teach/cohorts/:id":              {account.RoleTrainer, account.RoleVendorAdmin},
	"POST /teach/cohorts/:id/enrollments": {account.RoleVendorAdmin},
	"POST /teach/cohorts/:id/enrollments/:candidate/withdraw": {account.RoleVendorAdmin},
	"POST /teach/cohorts/:id/makeup":                          {account.RoleTrainer, account.RoleVendorAdmin},
	"GET /teach/cohorts/:id/days/:day":                        {account.RoleTrainer, account.RoleVendorAdmin},
	"POST /teach/cohorts/:id/days/:day":                       {account.RoleTrainer, account.RoleVendorAdmin},

	"GET /api/v1/curriculum":                            {signedIn},
	"GET /api/v1/modules/:slug":                         {signedIn},
	"POST /api/v1/modules/:slug/check":                  {account.RoleCandidate},
	"GET /api/v1/cohorts":                               {account.RoleTrainer, account.RoleVendorAdmin},
	"POST /api/v1/cohorts":                              {account.RoleVendorAdmin},
	"GET /api/v1/cohorts/:id":                           {account.RoleTrainer, account.RoleVendorAdmin},
	"POST /api/v1/cohorts/:id/enrollments":              {account.RoleVendorAdmin},
	"DELETE /api/v1/cohorts/:id/enrollments/:candidate": {account.RoleVendorAdmin},
	"PUT /api/v1/cohorts/:id/attendance/:day":           {account.RoleTrainer, account.RoleVendorAdmin},
	"POST /api/v1/cohorts/:id/makeup":                   {account.RoleTrainer, account.RoleVendorAdmin},
	"GET /api/v1/cohorts/:id/progress":                  {account.RoleTrainer, account.RoleVendorAdmin},

	"GET /applications":                              {account.RoleCandidate},
	"POST /applications":                             {account.RoleCandidate},
	"GET /applications/:id":                          {account.RoleCandidate},
	"GET /applications/:id/edit":                     {account.RoleCandidate},
	"POST /applications/:id/edit":                    {account.RoleCandidate},
	"POST /applications/:id/submit":                  {account.RoleCandidate},
	"POST /applications/:id/withdraw":                {account.RoleCandidate},
	"POST /applications/:id/delete":                  {account.RoleCandidate},
	"POST /applications/:id/documents":               {account.RoleCandidate},
	"POST /applications/:id/documents/:doc/delete":   {account.RoleCandidate},
	"GET /applications/:id/documents/:doc":           {account.RoleCandidate},
	"GET /review":                                    {account.RoleVendorAdmin},
	"GET /review/:id":                                {account.RoleVendorAdmin},
	"POST /review/:id/decision":                      {account.RoleVendorAdmin},
	"GET /review/:id/documents/:doc":                 {account.RoleVendorAdmin},
	"GET /api/v1/applications":                       {account.RoleCandidate},
	"POST /api/v1/applications":                      {account.RoleCandidate},
	"GET /api/v1/applications/:id":                   {account.RoleCandidate, account.RoleVendorAdmin},
	"PUT /api/v1/applications/:id":                   {account.RoleCandidate},
	"POST /api/v1/applications/:id/submit":           {account.RoleCandidate},
	"POST /api/v1/applications/:id/withdraw":         {account.RoleCandidate},
	"POST /api/v1/applications/:id/deletion":         {account.RoleCandidate},
	"POST /api/v1/applications/:id/documents":        {account.RoleCandidate},
	"GET /api/v1/applications/:id/documents/:doc":    {account.RoleCandidate, account.RoleVendorAdmin},
	"DELETE /api/v1/applications/:id/documents/:doc": {account.RoleCandidate},
	"GET /api/v1/review":                             {account.RoleVendorAdmin},
	"POST /api/v1/applications/:id/decision":         {account.RoleVendorAdmin},

	"GET /exam":                                    {account.RoleCandidate},
	"POST /exam/start":                             {account.RoleCandidate},
	"GET /exam/attempts/:id/q/:n":                  {account.RoleCandidate},
	"POST /exam/attempts/:id/q/:n":                 {account.RoleCandidate},
	"POST /exam/attempts/:id/answers":              {account.RoleCandidate},
	"GET /exam/attempts/:id/review":                {account.RoleCandidate},
	"POST /exam/attempts/:id/submit":               {account.RoleCandidate},
	"GET /exam/attempts/:id/result":                {account.RoleCandidate},
	"GET /vendor/exam":                             {account.RoleVendorAdmin},
	"GET /vendor/exam/cohorts/:cohort":             {account.RoleVendorAdmin},
	"GET /vendor/exam/cohorts/:cohort/results.csv": {account.RoleVendorAdmin},
	"POST /vendor/exam/settings":                   {account.RoleVendorAdmin},
	"POST /vendor/exam/accommodations":             {account.RoleVendorAdmin},
	"POST /vendor/exam/overrides":                  {account.RoleVendorAdmin},
	"POST /vendor/exam/items/:item/retire":         {account.RoleVendorAdmin},
	"POST /vendor/exam/items/:item/restore":        {account.RoleVendorAdmin},
	"GET /api/v1/exam":                             {account.RoleCandidate},
	"POST /api/v1/exam/attempts":                   {account.RoleCandidate},
	"GET /api/v1/exam/attempts/:id":                {account.RoleCandidate},
	"PUT /api/v1/exam/attempts/:id/answers/:item":  {account.RoleCandidate},
	"POST /api/v1/exam/attempts/:id/submit":        {account.RoleCandidate},
	"GET /api/v1/exam/settings":                    {account.RoleVendorAdmin},
	"PUT /api/v1/exam/settings":                    {account.RoleVendorAdmin},
	"POST /api/v1/exam/accommodations":             {account.RoleVendorAdmin},
	"POST /api/v1/exam/overrides":                  {account.RoleVendorAdmin},
	"GET /api/v1/exam/item-analysis":               {account.RoleVendorAdmin},
	"POST /api/v1/exam/items/:item/retire":         {account.RoleVendorAdmin},
	"GET /api/v1/cohorts/:id/exam-results":         {account.RoleVendorAdmin},

	"GET /oral":                                 {account.RoleCandidate, account.RoleTrainer, account.RoleVendorAdmin},
	"POST /oral/slots":                          {account.RoleTrainer, account.RoleVendorAdmin},
	"POST /oral/slots/:id/cancel":               {account.RoleTrainer, account.RoleVendorAdmin},
	"POST /oral/book":                           {account.RoleCandidate},
	"POST /oral/bookings/:id/cancel":            {account.RoleCandidate, account.RoleTrainer, account.RoleVendorAdmin},
	"POST /oral/bookings/:id/reschedule":        {account.RoleCandidate},
	"GET /oral/bookings/:id/calendar.ics":       {account.RoleCandidate, account.RoleTrainer, account.RoleVendorAdmin},
	"POST /oral/bookings/:id/no-show":           {account.RoleTrainer, account.RoleVendorAdmin},
	"GET /oral/bookings/:id/grade":              {account.RoleTrainer, account.RoleVendorAdmin},
	"POST /oral/bookings/:id/grade":             {account.RoleTrainer, account.RoleVendorAdmin},
	"POST /oral/grades/:id/amend":               {account.RoleTrainer, account.RoleVendorAdmin},
	"POST /oral/feed":                           {account.RoleTrainer, account.RoleVendorAdmin},
	"POST /oral/feed/revoke":                    {account.RoleTrainer, account.RoleVendorAdmin},
	"GET /oral/feed/:token":                     {public},
	"POST /vendor/oral/settings":                {account.RoleVendorAdmin},
	"GET /api/v1/oral/slots":                    {account.RoleCandidate, account.RoleTrainer, account.RoleVendorAdmin},
	"POST /api/v1/oral/slots":                   {account.RoleTrainer, account.RoleVendorAdmin},
	"GET /api/v1/oral/rubric":                   {signedIn},
	"POST /api/v1/oral/feed":                    {account.RoleTrainer, account.RoleVendorAdmin},
	"DELETE /api/v1/oral/feed":                  {account.RoleTrainer, account.RoleVendorAdmin},
	"GET /api/v1/oral/bookings/:id/ics":         {account.RoleCandidate, account.RoleTrainer, account.RoleVendorAdmin},
	"GET /api/v1/oral":                          {account.RoleCandidate},
	"POST /api/v1/oral/bookings":                {account.RoleCandidate},
	"POST /api/v1/oral/bookings/:id/cancel":     {account.RoleCandidate, account.RoleTrainer, account.RoleVendorAdmin},
	"POST /api/v1/oral/bookings/:id/reschedule": {account.RoleCandidate},
	"POST /api/v1/oral/bookings/:id/no-show":    {account.RoleTrainer, account.RoleVendorAdmin},
	"POST /api/v1/oral/bookings/:id/grade":      {account.RoleTrainer, account.RoleVendorAdmin},
	"POST /api/v1/oral/grades/:id/amend":        {account.RoleTrainer, account.RoleVendorAdmin},
	"GET /api/v1/oral/bookings/:id/grading":     {account.RoleTrainer, account.RoleVendorAdmin},
	"GET /api/v1/oral/awaiting":                 {account.RoleTrainer, account.RoleVendorAdmin},
	"GET /api/v1/oral/exceptions":               {account.RoleVendorAdmin},
	"POST /api/v1/oral/exceptions":              {account.RoleVendorAdmin},
	"GET /api/v1/oral/settings":                 {account.RoleVendorAdmin},
	"PUT /api/v1/oral/settings":                 {account.RoleVendorAdmin},
	"POST /oral/bookings/:id/exceptions":        {account.RoleVendorAdmin},

	"GET /vendor/certificates":                                {account.RoleVendorAdmin},
	"POST /vendor/certificates/issue":                         {account.RoleVendorAdmin},
	"POST /vendor/certificates/:id/revoke":                    {account.RoleVendorAdmin},
	"POST /vendor/certificates/:id/reinstate":                 {account.RoleVendorAdmin},
	"POST /vendor/certificates/:id/renew":                     {account.RoleVendorAdmin},
	"GET /vendor/certificates/export.csv":                     {account.RoleVendorAdmin},
	"GET /vendor/reports.csv":                                 {account.RoleVendorAdmin},
	"POST /vendor/ce/:id/review":                              {account.RoleVendorAdmin},
	"GET /ce/:id/proof":                                       {account.RoleCandidate, account.RoleVendorAdmin},
	"GET /certificates":                                       {account.RoleCandidate},
	"GET /certificates/:id":                                   {account.RoleCandidate},
	"GET /certificates/:id/certificate.pdf":                   {account.RoleCandidate, account.RoleVendorAdmin},
	"GET /certificates/:id/credential.jwt":                    {account.RoleCandidate, account.RoleVendorAdmin},
	"GET /certificates/:id/completion-record.pdf":             {account.RoleCandidate, account.RoleVendorAdmin},
	"POST /certificates/:id/ce":                               {account.RoleCandidate},
	"GET /courses":                                            {signedIn},
	"GET /api/v1/courses":                                     {signedIn},
	"GET /api/v1/courses/:slug":                               {signedIn},
	"GET /api/v1/course-offerings":                            {account.RoleVendorAdmin},
	"POST /api/v1/course-offerings":                           {account.RoleVendorAdmin},
	"POST /api/v1/course-offerings/:id/enrolments":            {account.RoleCandidate},
	"GET /api/v1/course-enrolments":                           {account.RoleCandidate},
	"GET /api/v1/course-enrolments/:id":                       {account.RoleCandidate, account.RoleVendorAdmin},
	"POST /api/v1/course-enrolments/:id/modules/:module/done": {account.RoleCandidate},
	"POST /api/v1/course-enrolments/:id/attempts":             {account.RoleCandidate},
	"GET /api/v1/course-attempts/:id":                         {account.RoleCandidate},
	"PUT /api/v1/course-attempts/:id/answers/:item":           {account.RoleCandidate},
	"POST /api/v1/course-attempts/:id/submit":                 {account.RoleCandidate},
	"GET /endorsements/:id/credential.jwt":                    {account.RoleCandidate, account.RoleVendorAdmin},
	"GET /endorsements/:id/endorsement.pdf":                   {account.RoleCandidate, account.RoleVendorAdmin},
	"GET /courses/attempts/:id":                               {account.RoleCandidate},
	"POST /courses/attempts/:id":                              {account.RoleCandidate},
	"POST /courses/attempts/:id/answers":                      {account.RoleCandidate},
	"GET /courses/:slug":                                      {signedIn},
	"POST /courses/:slug/enrol":                               {account.RoleCandidate},
	"POST /courses/:slug/assessment":                          {account.RoleCandidate},
	"GET /courses/:slug/modules/:module":                      {signedIn},
	"POST /courses/:slug/modules/:module/done":                {account.RoleCandidate},
	"POST /courses/:slug/modules/:module/check":               {account.RoleCandidate},
	"GET /courses/:slug/modules/:module/handouts/*":           {signedIn},
	"GET /vendor/courses":                                     {account.RoleVendorAdmin},
	"POST /vendor/courses":                                    {account.RoleVendorAdmin},
	"POST /vendor/courses/:id/cohort":                         {account.RoleVendorAdmin},
	"GET /verify":                                             {public},
	"POST /verify":                                            {public},
	"GET /verify/:code":                                       {public},
	"GET /.well-known/jwks.json":                              {public},
	"GET /api/v1/certificates":                                {account.RoleCandidate, account.RoleVendorAdmin},
	"GET /api/v1/certificates/ready":                          {account.RoleVendorAdmin},
	"GET /api/v1/certificates/export":                         {account.RoleVendorAdmin},
	"POST /api/v1/certificates":                               {account.RoleVendorAdmin},
	"POST /api/v1/certificates/:id/revoke":                    {account.RoleVendorAdmin},
	"POST /api/v1/certificates/:id/reinstate":                 {account.RoleVendorAdmin},
	"POST /api/v1/certificates/:id/renew":                     {account.RoleVendorAdmin},
	"GET /api/v1/certificates/:id/credential":                 {account.RoleCandidate, account.RoleVendorAdmin},
	"GET /api/v1/certificates/:id/pdf":                        {account.RoleCandidate, account.RoleVendorAdmin},
	"GET /api/v1/certificates/:id/completion-record":          {account.RoleCandidate, account.RoleVendorAdmin},
	"GET /api/v1/certificates/:id/ce":                         {account.RoleCandidate, account.RoleVendorAdmin},
	"POST /api/v1/certificates/:id/ce":                        {account.RoleCandidate},
	"POST /api/v1/ce/:id/review":                              {account.RoleVendorAdmin},
	"GET /api/v1/verify/:code":                                {public},
	"POST /api/v1/verify":                                     {public},
	"GET /api/v1/reports":                                     {account.RoleVendorAdmin},
	"GET /api/v1/reports/export":                              {account.RoleVendorAdmin},
	"GET /status/:vendor/revocation":                          {public},
	"GET /credentials/:slug":                                  {public},

	"GET /api/v1/openapi.json":                 {public},
	"POST /api/v1/auth/token":                  {public},
	"DELETE /api/v1/auth/token":                {signedIn},
	"POST /api/v1/auth/totp":                   {public},
	"POST /api/v1/auth/totp/confirm":           {public},
	"POST /api/v1/auth/invitation":             {public},
	"POST /api/v1/auth/register":               {public},
	"POST /api/v1/auth/verify-email":           {public},
	"POST /api/v1/auth/password/forgot":        {public},
	"POST /api/v1/auth/password/reset":         {public},
	"GET /api/v1/me":                           {signedIn},
	"POST /api/v1/me/data-exports":             {signedIn},
	"GET /api/v1/me/data-exports":              {signedIn},
	"GET /api/v1/me/data-exports/:id/download": {signedIn},
	"POST /api/v1/me/deletion":                 {account.RoleCandidate},
	"GET /api/v1/vendors":                      {signedIn},
	"POST /api/v1/vendors":                     {account.RolePlatformAdmin},
	"PUT /api/v1/vendors/:id/recognition":      {account.RolePlatformAdmin},
	"POST /api/v1/invitations":                 {account.RoleVendorAdmin, account.RolePlatformAdmin},
	"GET /api/v1/users":                        {account.RoleVendorAdmin, account.RolePlatformAdmin},
	"POST /api/v1/users/:id/disable":           {account.RoleVendorAdmin, account.RolePlatformAdmin},
	"POST /api/v1/users/:id/enable":            {account.RoleVendorAdmin, account.RolePlatformAdmin},
	"GET /api/v1/audit":                        {account.RoleVendorAdmin, account.RolePlatformAdmin},
	"GET /api/v1/mail":                         {account.RolePlatformAdmin},
}

// registeredRoutes lists the app's routes as "METHOD /path" (HEAD twins of GET left out).
func registeredRoutes(env *apptest.Env) []string {
	seen := map[string]bool{}
	var out []string
	for _, r := range env.App.Fiber.GetRoutes(true) {
		if r.Method == "HEAD" || r.Method == "USE" || r.Path == "/" && r.Method != "GET" {
			continue
		}
		if r.Path == "/api/v1" || strings.HasSuffix(r.Path, "/api/v1/") {
			continue
		}
		k := r.Method + " " + r.Path
		if !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

func TestEveryRouteIsClassified(t *testing.T) {
	env := apptest.New(t, dbtest.SQLite)
	routes := registeredRoutes(env)
	got := map[string]bool{}
	for _, r := range routes {
		got[r] = true
		if _, ok := access[r]; !ok {
			t.Errorf("route %s has no access rule in the test table", r)
		}
	}
	for r := range access {
		if !got[r] {
			t.Errorf("access table names %s, which is not registered", r)
		}
	}
}

func allowed(rule []string, role string) bool {
	for _, r := range rule {
		if r == public || (r == signedIn && role != "anonymous") || r == role {
			return true
		}
	}
	return false
}

// TestEveryRouteAgainstEveryRole sends every route as every role and checks that access matches the
// table: denied means 401 (API) or a redirect to sign-in (pages) for visitors, and 403 for signed-in
// users without the role; allowed means neither.
func TestEveryRouteAgainstEveryRole(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		env := apptest.New(t, d)
		vendor := env.Vendor("alpha")
		victim := env.User(account.RoleTrainer, vendor.ID)
		users := everyRole(env, vendor.ID)
		co := routeCohort(t, env, users[account.RoleVendorAdmin])
		slug := env.App.Curriculum.Modules()[0].Slug
		spare := env.Vendor("spare") // recognition routes toggle this one, not the vendor the others use
		params := strings.NewReplacer("admin/vendors/:id", "admin/vendors/"+spare.ID, "v1/vendors/:id", "v1/vendors/"+spare.ID, ":id/logo", vendor.ID+"/logo", "vendors/:id", "vendors/"+vendor.ID, "users/:id", "users/"+victim.ID,
			"mail/:id", "mail/none", ":hash/*", "x/css/app.css", "cohorts/:id", "cohorts/"+co.ID, ":day", "1", ":candidate", victim.ID,
			":slug", slug, "content/*", "content/day-05/wellness-dimensions.svg", ":vendor/:id", vendor.ID+"/none", "applications/:id", "applications/none", "review/:id", "review/none", ":doc", "none", "attempts/:id", "attempts/none", ":n", "1", ":cohort", co.ID, ":item", "FND-001", "slots/:id", "slots/none", "bookings/:id", "bookings/none", "grades/:id", "grades/none", ":token", "none.ics", "certificates/:id", "certificates/none", "ce/:id", "ce/none", ":code", "none")
		for _, route := range registeredRoutes(env) {
			method, path, _ := strings.Cut(route, " ")
			path = params.Replace(path)
			for role, u := range users {
				t.Run(fmt.Sprintf("%s as %s", route, role), func(t *testing.T) {
					req := apptest.Request(method, path, nil)
					api := strings.HasPrefix(path, "/api/")
					if u != nil && api {
						req.Header.Set("Authorization", "Bearer "+env.Session(u, account.KindAPI))
					}
					if !api {
						var cookies []*http.Cookie
						page := "/login"
						if u != nil {
							cookies = append(cookies, &http.Cookie{Name: "pa_session", Value: env.Session(u, account.KindWeb)})
							page = "/dashboard"
						}
						token, set := env.CSRF(page, cookies...)
						cookies = append(cookies, set...)
						for _, c := range cookies {
							req.AddCookie(c)
						}
						if method == "POST" {
							req = apptest.Request(method, path, "_csrf="+url.QueryEscape(token))
							for _, c := range cookies {
								req.AddCookie(c)
							}
						}
					} else if method != "GET" && method != "DELETE" {
						req = apptest.Request(method, path, map[string]any{})
						req.Header.Set("Authorization", "Bearer "+env.Session(orNil(u, env), account.KindAPI))
						if u == nil {
							req.Header.Del("Authorization")
						}
					}
					resp := env.Do(req)
					body := apptest.Body(resp)
					loc := resp.Header.Get("Location")
					// Denial by the access guard, as opposed to the endpoint's own answer (a wrong password is 401 too).
					var denied bool
					if api {
						denied = strings.Contains(body, `"code":"unauthenticated"`) || strings.Contains(body, `"code":"forbidden"`)
					} else {
						denied = (resp.StatusCode == 403 && strings.Contains(body, "Your account does not have access to this page.")) || (resp.StatusCode == 303 && strings.HasPrefix(loc, "/login?next="))
					}
					if resp.StatusCode >= 500 {
						t.Fatalf("status %d: %s", resp.StatusCode, body)
					}
					want := allowed(access[route], role)
					if want && denied {
						t.Fatalf("%s should be allowed for %s, got %d %s %s", route, role, resp.StatusCode, loc, body)
					}
					if !want {
						switch {
						case role == "anonymous" && api && resp.StatusCode != 401:
							t.Fatalf("anonymous API call: got %d, want 401", resp.StatusCode)
						case role == "anonymous" && !api && !(resp.StatusCode == 303 && strings.HasPrefix(loc, "/login")):
							t.Fatalf("anonymous page: got %d %q, want a redirect to sign-in", resp.StatusCode, loc)
						case role != "anonymous" && (resp.StatusCode != 403 || !denied):
							t.Fatalf("%s: got %d, want 403: %s", role, resp.StatusCode, body)
						}
					}
				})
			}
		}
	})
}

func orNil(u *account.User, env *apptest.Env) *account.User {
	if u == nil {
		return env.User(account.RoleCandidate, "")
	}
	return u
}

func TestOpenAPIMatchesRoutes(t *testing.T) {
	env := apptest.New(t, dbtest.SQLite)
	resp := env.Do(apptest.Request("GET", "/api/v1/openapi.json", nil))
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	var doc struct {
		OpenAPI string                    `json:"openapi"`
		Paths   map[string]map[string]any `json:"paths"`
	}
	decode(t, resp, &doc)
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi version %q", doc.OpenAPI)
	}
	documented := map[string]bool{}
	for p, ops := range doc.Paths {
		for m := range ops {
			documented[strings.ToUpper(m)+" "+p] = true
		}
	}
	served := map[string]bool{}
	for _, r := range registeredRoutes(env) {
		if !strings.HasPrefix(r, "GET /api/") && !strings.Contains(r, " /api/") {
			continue
		}
		method, path, _ := strings.Cut(r, " ")
		k := method + " " + openapiPath(path)
		served[k] = true
		if !documented[k] {
			t.Errorf("route %s is not in the OpenAPI document", k)
		}
	}
	for k := range documented {
		if !served[k] {
			t.Errorf("OpenAPI documents %s, which is not served", k)
		}
	}
}

func openapiPath(p string) string {
	parts := strings.Split(p, "/")
	for i, s := range parts {
		if strings.HasPrefix(s, ":") {
			parts[i] = "{" + s[1:] + "}"
		}
	}
	return strings.Join(parts, "/")
}
