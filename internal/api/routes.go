package api

import (
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/gofiber/fiber/v2"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/apperr"
	"github.com/peeracademy/peeracademy/internal/catalog"
	"github.com/peeracademy/peeracademy/internal/ce"
	"github.com/peeracademy/peeracademy/internal/certificate"
	"github.com/peeracademy/peeracademy/internal/cohort"
	"github.com/peeracademy/peeracademy/internal/curriculum"
	"github.com/peeracademy/peeracademy/internal/eligibility"
	"github.com/peeracademy/peeracademy/internal/exam"
	"github.com/peeracademy/peeracademy/internal/httpx"
	"github.com/peeracademy/peeracademy/internal/oral"
	"github.com/peeracademy/peeracademy/internal/privacy"
)

// route pairs an operation's documentation with its handler.
type route struct {
	Op
	h fiber.Handler
}

var (
	public       []string // nil: no sign-in
	signedIn     = []string{}
	adminsOnly   = []string{account.RoleVendorAdmin, account.RolePlatformAdmin}
	platform     = []string{account.RolePlatformAdmin}
	vendorAdmins = []string{account.RoleVendorAdmin}
	candidates   = []string{account.RoleCandidate}

	candidatesAndVendorAdmins = []string{account.RoleCandidate, account.RoleVendorAdmin}
	oralUsers                 = []string{account.RoleCandidate, account.RoleTrainer, account.RoleVendorAdmin}
	teachers                  = []string{account.RoleTrainer, account.RoleVendorAdmin}
)

// offsetParam is the offset paging kept for earlier clients of the lists that had it.
var offsetParam = Param{Name: "offset", Type: "integer", Deprecated: true, Desc: "Deprecated (use cursor): rows to skip; with it, limit is 1 to 100 (default 25) and next_cursor is null."}

func (h *Handlers) routes() []route {
	return []route{
		{Op{Method: "POST", Path: "/auth/token", Summary: "Sign in and get a bearer token", Roles: public, Body: TokenRequest{}, Resp: TokenResponse{}, Status: 201, Errors: []int{401, 403, 429}}, h.token},
		{Op{Method: "DELETE", Path: "/auth/token", Summary: "Revoke the token used for this request", Roles: signedIn, Status: 204}, h.revokeToken},
		{Op{Method: "POST", Path: "/auth/totp", Summary: "Begin two-factor enrolment: a new authenticator secret and its otpauth:// URI (staff must enrol before their first token)", Roles: public, Body: TOTPBeginRequest{}, Resp: TOTPEnrolment{}, Status: 201, Errors: []int{401, 429}}, h.totpBegin},
		{Op{Method: "POST", Path: "/auth/totp/confirm", Summary: "Confirm two-factor enrolment with a code from the authenticator; answers the recovery codes, shown once", Roles: public, Body: TOTPConfirmRequest{}, Resp: RecoveryCodes{}, Status: 201, Errors: []int{401, 429}}, h.totpConfirm},
		{Op{Method: "POST", Path: "/auth/invitation", Summary: "Accept a staff invitation with the emailed token: choose a name and password (then enrol two-factor sign-in)", Roles: public, Body: AcceptInvitation{}, Resp: UserView{}, Errors: []int{410}}, h.acceptInvitation},
		{Op{Method: "POST", Path: "/auth/register", Summary: "Create a candidate account (a confirmation link is emailed)", Roles: public, Body: RegisterRequest{}, Resp: MessageResponse{}, Status: 202, Errors: []int{429}}, h.register},
		{Op{Method: "POST", Path: "/auth/verify-email", Summary: "Confirm an email address with the emailed token", Roles: public, Body: TokenOnly{}, Resp: MessageResponse{}, Errors: []int{410}}, h.verifyEmail},
		{Op{Method: "POST", Path: "/auth/password/forgot", Summary: "Email a password-reset link", Roles: public, Body: EmailRequest{}, Resp: MessageResponse{}, Status: 202, Errors: []int{429}}, h.forgot},
		{Op{Method: "POST", Path: "/auth/password/reset", Summary: "Set a new password with the emailed token", Roles: public, Body: ResetRequest{}, Resp: MessageResponse{}, Errors: []int{410}}, h.reset},
		{Op{Method: "GET", Path: "/me", Summary: "The signed-in user", Roles: signedIn, Resp: UserView{}}, h.me},
		{Op{Method: "POST", Path: "/me/data-exports", Summary: "Ask for an archive of everything held about you (built in the background; e-mailed when ready)", Roles: signedIn, Resp: privacy.Export{}, Status: 202, Errors: []int{429}}, h.requestExport},
		{Op{Method: "GET", Path: "/me/data-exports", Summary: "Your data-archive requests, newest first", Roles: signedIn, Resp: ExportList{}, Query: cursorParams}, h.listExports},
		{Op{Method: "GET", Path: "/me/data-exports/:id/download", Summary: "Download a ready archive (zip; once: it is deleted afterwards; audited)", Roles: signedIn, Produces: []string{"application/zip"}, Errors: []int{410}}, h.downloadExport},
		{Op{Method: "POST", Path: "/me/deletion", Summary: "Delete your candidate account: personal data and documents go; an issued certificate's public record stays", Roles: candidates, Body: DeleteAccountRequest{}, Status: 204, Errors: []int{429}}, h.deleteAccount},
		{Op{Method: "GET", Path: "/vendors", Summary: "Recognised vendors (all vendors for platform admins)", Roles: signedIn, Resp: VendorList{}, Query: cursorParams}, h.listVendors},
		{Op{Method: "POST", Path: "/vendors", Summary: "Create a vendor", Roles: platform, Body: VendorRequest{}, Resp: account.Vendor{}, Status: 201}, h.createVendor},
		{Op{Method: "PUT", Path: "/vendors/:id/recognition", Summary: "Recognise a vendor or withdraw recognition", Roles: platform, Body: RecognitionRequest{}, Resp: account.Vendor{}}, h.setRecognition},
		{Op{Method: "POST", Path: "/invitations", Summary: "Invite a trainer or vendor admin by email", Roles: adminsOnly, Body: InviteRequest{}, Resp: MessageResponse{}, Status: 202}, h.invite},
		{Op{Method: "GET", Path: "/users", Summary: "Users the caller manages (own vendor's staff for vendor admins)", Roles: adminsOnly, Resp: UserList{}, Query: withCursor(Param{Name: "q", Desc: "Find by name or email."}, Param{Name: "role", Enum: roles}, Param{Name: "vendor_id", Desc: "Platform admins: one vendor's users."}, offsetParam)}, h.listUsers},
		{Op{Method: "POST", Path: "/users/:id/disable", Summary: "Disable an account and end its sessions", Roles: adminsOnly, Resp: UserView{}}, h.setDisabled(true)},
		{Op{Method: "POST", Path: "/users/:id/enable", Summary: "Enable an account again", Roles: adminsOnly, Resp: UserView{}}, h.setDisabled(false)},
		{Op{Method: "GET", Path: "/audit", Summary: "Audit events, newest first (own vendor's for vendor admins)", Roles: adminsOnly, Resp: AuditList{}, Query: withCursor(Param{Name: "before", Deprecated: true, Desc: "Deprecated (use cursor): only events older than this event id (the next value of the previous page)."}, Param{Name: "action", Desc: "Only this action (e.g. user.disable)."}, Param{Name: "subject_type"}, Param{Name: "subject_id"})}, h.auditLog},
		{Op{Method: "GET", Path: "/applications", Summary: "The caller's eligibility applications", Roles: candidates, Resp: ApplicationList{}, Query: cursorParams}, h.myApplications},
		{Op{Method: "POST", Path: "/applications", Summary: "Start an application to a recognised vendor", Roles: candidates, Body: StartApplication{}, Resp: ApplicationView{}, Status: 201}, h.startApplication},
		{Op{Method: "GET", Path: "/applications/:id", Summary: "An application (its candidate, or its vendor's admins once submitted; admin views are audited)", Roles: candidatesAndVendorAdmins, Resp: ApplicationView{}}, h.getApplication},
		{Op{Method: "PUT", Path: "/applications/:id", Summary: "Save the application draft (nothing is stored if any field is invalid)", Roles: candidates, Body: eligibility.Draft{}, Resp: ApplicationView{}}, h.saveApplication},
		{Op{Method: "POST", Path: "/applications/:id/submit", Summary: "Submit for review (refused while a requirement is unmet or a needed proof is missing)", Roles: candidates, Resp: ApplicationView{}}, h.applicationAction("submit")},
		{Op{Method: "POST", Path: "/applications/:id/withdraw", Summary: "Withdraw the application", Roles: candidates, Resp: ApplicationView{}}, h.applicationAction("withdraw")},
		{Op{Method: "POST", Path: "/applications/:id/deletion", Summary: "Withdraw and delete personal details and documents", Roles: candidates, Resp: ApplicationView{}}, h.applicationAction("delete")},
		{Op{Method: "POST", Path: "/applications/:id/documents", Summary: "Upload a proof (multipart: kind, file; PDF, JPEG or PNG up to 10 MB)", Roles: candidates, Resp: eligibility.Document{}, Status: 201, Form: []Param{{Name: "kind", Enum: docKinds, Required: true}, {Name: "file", Type: "file", Required: true, Desc: "PDF, JPEG or PNG, up to 10 MB."}}}, h.uploadDocument},
		{Op{Method: "GET", Path: "/applications/:id/documents/:doc", Summary: "Download a document (audited for staff)", Roles: candidatesAndVendorAdmins, Produces: []string{"application/pdf", "image/jpeg", "image/png"}}, h.document},
		{Op{Method: "DELETE", Path: "/applications/:id/documents/:doc", Summary: "Remove a document while the application is editable", Roles: candidates, Status: 204}, h.deleteDocument},
		{Op{Method: "GET", Path: "/review", Summary: "The vendor's review queue with counts by status", Roles: vendorAdmins, Resp: ReviewQueue{}, Query: withCursor(Param{Name: "status", Enum: appStatuses}, Param{Name: "q", Desc: "Find by name."}, offsetParam)}, h.reviewQueue},
		{Op{Method: "POST", Path: "/applications/:id/decision", Summary: "Approve, reject or ask for more information (reason required for the last two)", Roles: vendorAdmins, Body: DecisionRequest{}, Resp: ApplicationView{}}, h.decide},
		{Op{Method: "GET", Path: "/exam", Summary: "Whether the caller may start the written exam, and their results", Roles: candidates, Resp: ExamResults{}, Query: cursorParams}, h.examResults},
		{Op{Method: "POST", Path: "/exam/attempts", Summary: "Start (or resume) the written exam; the deadline is fixed now", Roles: candidates, Resp: exam.Summary{}, Status: 201, AltStatus: 200}, h.examStart},
		{Op{Method: "GET", Path: "/exam/attempts/:id", Summary: "The attempt: questions, saved answers and the server's clock (never the keys)", Roles: candidates, Resp: exam.AttemptView{}}, h.examView},
		{Op{Method: "PUT", Path: "/exam/attempts/:id/answers/:item", Summary: "Save one answer (upsert; a lower seq never overwrites a newer answer)", Roles: candidates, Body: AnswerRequest{}, Resp: exam.Saved{}, Errors: []int{410}}, h.examAnswer},
		{Op{Method: "POST", Path: "/exam/attempts/:id/submit", Summary: "Submit and grade (submitting twice grades once)", Roles: candidates, Resp: exam.AttemptResult{}}, h.examSubmit},
		{Op{Method: "GET", Path: "/exam/settings", Summary: "The vendor's exam settings", Roles: vendorAdmins, Resp: exam.Settings{}}, h.examSettings},
		{Op{Method: "PUT", Path: "/exam/settings", Summary: "Change the vendor's exam settings (new attempts only)", Roles: vendorAdmins, Body: exam.Settings{}, Resp: exam.Settings{}}, h.examUpdateSettings},
		{Op{Method: "POST", Path: "/exam/accommodations", Summary: "Grant a candidate extended time", Roles: vendorAdmins, Body: AccommodationRequest{}, Status: 204, Errors: []int{404}}, h.examAccommodation},
		{Op{Method: "POST", Path: "/exam/overrides", Summary: "Let a candidate sit the exam before coursework is complete (reason required)", Roles: vendorAdmins, Body: OverrideRequest{}, Status: 204, Errors: []int{404}}, h.examOverride},
		{Op{Method: "GET", Path: "/exam/item-analysis", Summary: "Difficulty, discrimination and option counts per item", Roles: vendorAdmins, Resp: ItemAnalysis{}, Query: cursorParams}, h.itemAnalysis},
		{Op{Method: "POST", Path: "/exam/items/:item/retire", Summary: "Retire an item from future forms", Roles: vendorAdmins, Body: RetireRequest{}, Status: 204}, h.retireItem},
		{Op{Method: "GET", Path: "/cohorts/:id/exam-results", Summary: "A cohort's written-exam results (?format=csv for CSV)", Roles: vendorAdmins, Resp: CohortExamResults{}, Query: withCursor(Param{Name: "format", Enum: []string{"json", "csv"}, Desc: "csv: the same results as a CSV file (all of them)."}), Produces: []string{"text/csv"}}, h.cohortExamResults},
		{Op{Method: "GET", Path: "/oral/slots", Summary: "Oral-exam slots: open ones a candidate may book, a trainer's own, or the vendor's", Roles: oralUsers, Resp: SlotList{},
			Query: withCursor(Param{Name: "from", Desc: "Start of the window: a date (YYYY-MM-DD) or an RFC 3339 time. Default: now for candidates, seven days back for staff (so a slot being examined stays listed)."}, Param{Name: "to", Desc: "End of the window, like from. Default: the booking horizon from now."})}, h.oralSlots},
		{Op{Method: "POST", Path: "/oral/slots", Summary: "Publish a slot or a recurring block split into slots (vendor time zone)", Roles: teachers, Body: oral.SlotInput{}, Resp: []oral.Slot{}, Status: 201}, h.createSlots},
		{Op{Method: "GET", Path: "/oral/rubric", Summary: "The oral-exam rubric: scale, pass rule and competencies with their descriptors", Roles: signedIn, Resp: RubricView{}}, h.rubric},
		{Op{Method: "POST", Path: "/oral/feed", Summary: "Create the trainer's private calendar feed link (replaces any earlier link; shown once)", Roles: teachers, Resp: FeedLink{}, Status: 201}, h.createFeed},
		{Op{Method: "DELETE", Path: "/oral/feed", Summary: "Revoke the trainer's calendar feed link", Roles: teachers, Status: 204}, h.revokeFeed},
		{Op{Method: "GET", Path: "/oral/bookings/:id/ics", Summary: "The booking as an iCalendar event", Roles: oralUsers, Produces: []string{"text/calendar"}}, h.bookingICS},
		{Op{Method: "GET", Path: "/oral", Summary: "A candidate's oral-exam bookings and result", Roles: candidates, Resp: OralStatus{}, Query: cursorParams}, h.oralStatus},
		{Op{Method: "POST", Path: "/oral/bookings", Summary: "Book a slot (the database decides races)", Roles: candidates, Body: BookRequest{}, Resp: oral.BookingView{}, Status: 201}, h.bookSlot},
		{Op{Method: "POST", Path: "/oral/bookings/:id/cancel", Summary: "Cancel a booking (candidates until the cutoff; staff with a reason)", Roles: oralUsers, Body: ReasonRequest{}, Status: 204}, h.cancelBooking},
		{Op{Method: "POST", Path: "/oral/bookings/:id/reschedule", Summary: "Move a booking to another slot", Roles: candidates, Body: BookRequest{}, Resp: oral.BookingView{}}, h.reschedule},
		{Op{Method: "POST", Path: "/oral/bookings/:id/no-show", Summary: "Record a no-show", Roles: teachers, Status: 204}, h.noShow},
		{Op{Method: "POST", Path: "/oral/bookings/:id/grade", Summary: "Grade with the rubric: the scenario used, every competency, evidence notes at either end of the scale (once per examiner; corrections are amendments)", Roles: teachers, Body: oral.GradeInput{}, Resp: oral.Grade{}, Status: 201}, h.grade},
		{Op{Method: "POST", Path: "/oral/grades/:id/amend", Summary: "Amend a submitted grade with a reason (audited)", Roles: teachers, Body: AmendRequest{}, Resp: oral.Grade{}, Status: 201}, h.amend},
		{Op{Method: "GET", Path: "/oral/bookings/:id/grading", Summary: "Whether the caller may grade a booking now (and why not: e.g. they taught the candidate), its decision and the grades the caller may see", Roles: teachers, Resp: GradingView{}}, h.grading},
		{Op{Method: "GET", Path: "/oral/awaiting", Summary: "Exams of the vendor waiting for another examiner that the caller has not graded", Roles: teachers, Resp: AwaitingList{}, Query: cursorParams}, h.awaiting},
		{Op{Method: "GET", Path: "/oral/exceptions", Summary: "Exceptions letting examiners grade candidates they taught", Roles: vendorAdmins, Resp: ExceptionList{}, Query: cursorParams}, h.exceptions},
		{Op{Method: "POST", Path: "/oral/exceptions", Summary: "Let an examiner grade a candidate they taught, for one booking or every exam of the candidate, with a reason (audited)", Roles: vendorAdmins, Body: oral.ExceptionInput{}, Resp: oral.Exception{}, Status: 201}, h.addException},
		{Op{Method: "GET", Path: "/oral/settings", Summary: "The vendor's oral-exam settings", Roles: vendorAdmins, Resp: oral.Settings{}}, h.oralSettings},
		{Op{Method: "PUT", Path: "/oral/settings", Summary: "Change the vendor's oral-exam settings (cancellation cutoff, retake wait, two examiners)", Roles: vendorAdmins, Body: oral.Settings{}, Resp: oral.Settings{}}, h.oralUpdateSettings},
		{Op{Method: "GET", Path: "/certificates", Summary: "Certificates: the holder's own, or the vendor's", Roles: candidatesAndVendorAdmins, Resp: CertificateList{}, Query: cursorParams}, h.listCertificates},
		{Op{Method: "GET", Path: "/certificates/ready", Summary: "Candidates ready to certify (coursework, written and oral passed)", Roles: vendorAdmins, Resp: ReadyList{}, Query: cursorParams}, h.readyCertificates},
		{Op{Method: "GET", Path: "/certificates/export", Summary: "The vendor's certificates as CSV", Roles: vendorAdmins, Produces: []string{"text/csv"}}, h.certificatesCSV},
		{Op{Method: "POST", Path: "/certificates", Summary: "Issue certificates to one or many ready candidates", Roles: vendorAdmins, Body: IssueRequest{}, Resp: CertificateList{}, Status: 201}, h.issueCertificates},
		{Op{Method: "POST", Path: "/certificates/:id/revoke", Summary: "Revoke with a reason (shown at once on verification)", Roles: vendorAdmins, Body: ReasonRequest{}, Resp: CertificateView{}}, h.certificateAction("revoke")},
		{Op{Method: "POST", Path: "/certificates/:id/reinstate", Summary: "Reinstate a revoked certificate with a reason", Roles: vendorAdmins, Body: ReasonRequest{}, Resp: CertificateView{}}, h.certificateAction("reinstate")},
		{Op{Method: "POST", Path: "/certificates/:id/renew", Summary: "Renew when the CE rule is met for the current validity", Roles: vendorAdmins, Resp: CertificateView{}}, h.certificateAction("renew")},
		{Op{Method: "GET", Path: "/certificates/:id/credential", Summary: "The signed credential (compact JWS, EdDSA)", Roles: candidatesAndVendorAdmins, Produces: []string{"application/vc+jwt"}}, h.credential},
		{Op{Method: "GET", Path: "/certificates/:id/pdf", Summary: "The certificate as PDF", Roles: candidatesAndVendorAdmins, Produces: []string{"application/pdf"}}, h.certificatePDF},
		{Op{Method: "GET", Path: "/certificates/:id/completion-record", Summary: "The training completion record as PDF", Roles: candidatesAndVendorAdmins, Produces: []string{"application/pdf"}}, h.completionRecord},
		{Op{Method: "GET", Path: "/certificates/:id/ce", Summary: "Continuing-education progress per cycle and activities", Roles: candidatesAndVendorAdmins, Resp: CEView{}, Query: cursorParams}, h.ceView},
		{Op{Method: "POST", Path: "/certificates/:id/ce", Summary: "Record a continuing-education activity (proof upload in the browser)", Roles: candidates, Body: ce.ActivityInput{}, Resp: ce.Activity{}, Status: 201}, h.recordCE},
		{Op{Method: "POST", Path: "/ce/:id/review", Summary: "Verify or reject a CE activity", Roles: vendorAdmins, Body: ReviewRequest{}, Status: 204}, h.reviewCE},
		{Op{Method: "GET", Path: "/verify/:code", Summary: "Public verification by the code in the QR link (rate limited)", Roles: public, Resp: certificate.Public{}, Errors: []int{429}}, h.verifyCode},
		{Op{Method: "POST", Path: "/verify", Summary: "Public look-up by number and the holder's last name (rate limited)", Roles: public, Body: LookupRequest{}, Resp: certificate.Public{}, Errors: []int{404, 429}}, h.verifyLookup},
		{Op{Method: "GET", Path: "/reports", Summary: "The vendor dashboard", Roles: vendorAdmins, Resp: VendorReport{}}, h.vendorReport},
		{Op{Method: "GET", Path: "/reports/export", Summary: "The vendor dashboard as CSV", Roles: vendorAdmins, Produces: []string{"text/csv"}}, h.reportCSV},
		{Op{Method: "GET", Path: "/curriculum", Summary: "The course outline, with open days and progress for candidates", Roles: signedIn, Resp: CourseOutline{}}, h.outline},
		{Op{Method: "GET", Path: "/modules/:slug", Summary: "A module's content (open days only for candidates)", Roles: signedIn, Resp: ModuleView{}}, h.module},
		{Op{Method: "POST", Path: "/modules/:slug/check", Summary: "Answer a module's knowledge check", Roles: []string{account.RoleCandidate}, Body: CheckRequest{}, Resp: curriculum.CheckResult{}}, h.check},
		{Op{Method: "GET", Path: "/courses", Summary: "The course catalogue beyond the ten days (specialty and continuing-education courses)", Roles: signedIn, Resp: CourseList{}}, h.listCourses},
		{Op{Method: "GET", Path: "/courses/:slug", Summary: "A catalogue course: front matter and module outline", Roles: signedIn, Resp: CourseView{}}, h.getCourse},
		{Op{Method: "GET", Path: "/course-offerings", Summary: "The vendor's offerings of catalogue courses", Roles: vendorAdmins, Resp: OfferingList{}}, h.listOfferings},
		{Op{Method: "POST", Path: "/course-offerings", Summary: "Offer a catalogue course (or change its settings: pass mark, attempts, time limit)", Roles: vendorAdmins, Body: catalog.OfferingInput{}, Resp: catalog.Offering{}, Status: 201}, h.offerCourse},
		{Op{Method: "POST", Path: "/course-offerings/:id/enrolments", Summary: "Enrol yourself in an offered course (needs a current certificate)", Roles: candidates, Resp: catalog.Enrolment{}, Status: 201, Errors: []int{404, 409}}, h.enrolCourse},
		{Op{Method: "GET", Path: "/course-enrolments", Summary: "Your course enrolments, newest first", Roles: candidates, Resp: CourseEnrolmentList{}}, h.listCourseEnrolments},
		{Op{Method: "GET", Path: "/course-enrolments/:id", Summary: "An enrolment's progress: modules done, attempts, completion", Roles: candidatesAndVendorAdmins, Resp: CourseProgress{}, Errors: []int{404}}, h.courseProgress},
		{Op{Method: "POST", Path: "/course-enrolments/:id/modules/:module/done", Summary: "Mark a module done (completes the course when it was the last thing missing)", Roles: candidates, Resp: CourseProgress{}, Errors: []int{404}}, h.courseModuleDone},
		{Op{Method: "POST", Path: "/course-enrolments/:id/attempts", Summary: "Start (or resume) an attempt at the course's assessment", Roles: candidates, Resp: catalog.Attempt{}, Status: 201, Errors: []int{404, 409}}, h.startCourseAttempt},
		{Op{Method: "GET", Path: "/course-attempts/:id", Summary: "An attempt: questions while open, the score once graded", Roles: candidates, Resp: catalog.AttemptView{}, Errors: []int{404}}, h.courseAttempt},
		{Op{Method: "PUT", Path: "/course-attempts/:id/answers/:item", Summary: "Autosave one answer (displayed option indexes)", Roles: candidates, Body: CourseAnswer{}, Status: 204, Errors: []int{404, 409}}, h.saveCourseAnswer},
		{Op{Method: "POST", Path: "/course-attempts/:id/submit", Summary: "Submit an attempt for grading", Roles: candidates, Resp: catalog.Attempt{}, Errors: []int{404}}, h.submitCourseAttempt},
		{Op{Method: "GET", Path: "/cohorts", Summary: "Cohorts the caller teaches or manages", Roles: teachers, Resp: CohortList{}, Query: cursorParams}, h.listCohorts},
		{Op{Method: "POST", Path: "/cohorts", Summary: "Create a cohort with its ten session dates", Roles: vendorAdmins, Body: cohort.CreateInput{}, Resp: cohort.Cohort{}, Status: 201}, h.createCohort},
		{Op{Method: "GET", Path: "/cohorts/:id", Summary: "A cohort with its sessions and trainers", Roles: teachers, Resp: cohort.Cohort{}}, h.getCohort},
		{Op{Method: "POST", Path: "/cohorts/:id/enrollments", Summary: "Enrol a candidate by email", Roles: vendorAdmins, Body: EnrollRequest{}, Resp: cohort.Enrollment{}, Status: 201}, h.enroll},
		{Op{Method: "DELETE", Path: "/cohorts/:id/enrollments/:candidate", Summary: "Withdraw a candidate from the cohort", Roles: vendorAdmins, Status: 204}, h.withdraw},
		{Op{Method: "PUT", Path: "/cohorts/:id/attendance/:day", Summary: "Record (or correct) a day's attendance register", Roles: teachers, Body: AttendanceRequest{}, Resp: []cohort.Attendance{}}, h.recordAttendance},
		{Op{Method: "POST", Path: "/cohorts/:id/makeup", Summary: "Record make-up work", Roles: teachers, Body: cohort.MakeupInput{}, Resp: cohort.Makeup{}, Status: 201}, h.addMakeup},
		{Op{Method: "GET", Path: "/cohorts/:id/progress", Summary: "Coursework standing of every enrolled candidate", Roles: teachers, Resp: CohortProgress{}, Query: cursorParams}, h.cohortProgress},
		{Op{Method: "GET", Path: "/mail", Summary: "Captured mail in development mode", Roles: platform, Resp: MailList{}, Query: withCursor(Param{Name: "to", Desc: "Only mail to this address."}, Param{Name: "offset", Type: "integer", Deprecated: true, Desc: "Deprecated (use cursor): rows to skip, 50 a page; next_cursor is null."}), Errors: []int{404}}, h.mail},
	}
}

// Ops lists the documented operations (for tests and the OpenAPI document).
func (h *Handlers) Ops() []Op {
	var ops []Op
	for _, r := range h.routes() {
		ops = append(ops, r.Op)
	}
	ops = append(ops, Op{Method: "GET", Path: "/openapi.json", Summary: "This OpenAPI document (OpenAPI 3.0)", Roles: public, Resp: map[string]any{}})
	return ops
}

// OpenAPI returns the document, built once.
func (h *Handlers) OpenAPI() (*openapi3.T, error) {
	h.docOnce.Do(func() { h.doc, h.docErr = Document(Prefix, h.Version, h.Ops()) })
	return h.doc, h.docErr
}

// Register mounts the API.
func (h *Handlers) Register(app fiber.Router) {
	g := app.Group(Prefix)
	doc, err := h.OpenAPI()
	if err != nil {
		panic("api: the OpenAPI document cannot be built: " + err.Error())
	}
	body, err := doc.MarshalJSON()
	if err != nil {
		panic("api: " + err.Error())
	}
	g.Get("/openapi.json", func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
		return c.Send(body)
	})
	for _, r := range h.routes() {
		handlers := []fiber.Handler{}
		if r.Roles != nil {
			handlers = append(handlers, requireRoles(r.Roles))
		}
		handlers = append(handlers, r.h)
		g.Add(r.Method, r.Path, handlers...)
	}
	// Unknown API paths answer in JSON too.
	g.Use(func(c *fiber.Ctx) error {
		return apperr.New(apperr.NotFound, "not_found", "There is no API endpoint "+c.Method()+" "+c.Path()+". See "+Prefix+"/openapi.json.")
	})
}

func requireRoles(roles []string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		u := httpx.User(c)
		if u == nil {
			return apperr.New(apperr.Unauthenticated, "unauthenticated", "Send a bearer token from POST "+Prefix+"/auth/token in the Authorization header.")
		}
		if len(roles) == 0 {
			return c.Next()
		}
		for _, r := range roles {
			if u.Role == r {
				return c.Next()
			}
		}
		return apperr.New(apperr.Forbidden, "forbidden", "Your role cannot use this endpoint.")
	}
}
