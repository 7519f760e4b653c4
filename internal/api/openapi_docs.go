package api

import (
	"reflect"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/ce"
	"github.com/peeracademy/peeracademy/internal/certificate"
	"github.com/peeracademy/peeracademy/internal/cohort"
	"github.com/peeracademy/peeracademy/internal/eligibility"
	"github.com/peeracademy/peeracademy/internal/exam"
	"github.com/peeracademy/peeracademy/internal/notify"
	"github.com/peeracademy/peeracademy/internal/oral"
	"github.com/peeracademy/peeracademy/internal/privacy"
)

// fieldDoc adds what a Go type cannot say about a field: its meaning, format and allowed values.
// Enumerations are built from the domain packages' constants, so they follow the code.
type fieldDoc struct {
	Desc   string
	Format string
	Enum   []string
}

var (
	roles          = []string{account.RoleCandidate, account.RoleTrainer, account.RoleVendorAdmin, account.RolePlatformAdmin}
	appStatuses    = []string{eligibility.StatusDraft, eligibility.StatusSubmitted, eligibility.StatusNeedsInfo, eligibility.StatusApproved, eligibility.StatusRejected, eligibility.StatusWithdrawn}
	docKinds       = []string{eligibility.KindDiploma, eligibility.KindWork, eligibility.KindEducation, eligibility.KindIdentity, eligibility.KindOther}
	attendance     = []string{cohort.Present, cohort.Late, cohort.Absent, cohort.Excused}
	enrollStatuses = []string{cohort.EnrollActive, cohort.EnrollWithdrawn}
	attemptStatus  = []string{exam.StatusOpen, exam.StatusSubmitted, exam.StatusExpired}
	itemTypes      = []string{exam.TypeSingle, exam.TypeMultiple, exam.TypeTrueFalse}
	slotModes      = []string{oral.ModeInPerson, oral.ModeVirtual}
	slotStatuses   = []string{oral.SlotOpen, oral.SlotCancelled}
	bookingStatus  = []string{oral.BookingActive, oral.BookingCancelled, oral.BookingNoShow, oral.BookingCompleted}
	certStates     = []string{certificate.StateActive, certificate.StateExpired, certificate.StateLapsed, certificate.StateRevoked}
	ceCategories   = []string{string(ce.PeerSupportRecovery), string(ce.Ethics), string(ce.General)}
	ceStatuses     = []string{ce.StatusSubmitted, ce.StatusVerified, ce.StatusRejected}
	exportStatuses = []string{privacy.StatusPending, privacy.StatusBuilding, privacy.StatusReady, privacy.StatusDownloaded, privacy.StatusFailed, privacy.StatusExpired}
	mailStatuses   = []string{notify.StatusPending, notify.StatusSent, notify.StatusFailed, notify.StatusCaptured}
)

const (
	ymd = "A calendar date, YYYY-MM-DD."
	hm  = "A time of day, HH:MM (24-hour), in the vendor's time zone."
)

// fieldDocs is keyed by component name and JSON field name ("exam.Saved.seq").
var fieldDocs = map[string]fieldDoc{
	"api.UserView.role":                 {Enum: roles},
	"api.InviteRequest.role":            {Enum: []string{account.RoleTrainer, account.RoleVendorAdmin}, Desc: "The staff role to invite."},
	"api.InviteRequest.vendor_id":       {Desc: "The vendor (platform admins only; a vendor admin always invites to their own vendor)."},
	"api.TokenRequest.totp_code":        {Desc: "The six-digit authenticator code or a recovery code; required for staff who enrolled two-factor sign-in."},
	"api.DecisionRequest.decision":      {Enum: []string{eligibility.DecisionApprove, eligibility.DecisionReject, eligibility.DecisionNeedsInfo}},
	"api.DecisionRequest.reason":        {Desc: "Shown to the candidate; required to reject or ask for more information."},
	"api.AnswerRequest.choice":          {Desc: "Indexes into the question's options as shown in this attempt (the order is shuffled per attempt), not into the item bank; [] clears the answer."},
	"api.AnswerRequest.seq":             {Desc: "A client sequence number that grows with each save of the same question; a save with a lower seq than the stored one is ignored (applied: false)."},
	"api.CheckRequest.answers":          {Desc: "One option index per question, in the order the module lists them."},
	"api.CertificateView.state":         {Enum: certStates, Desc: "The state now: active, expired (past expires_at), lapsed (CE not met) or revoked."},
	"api.CertificateView.status":        {Enum: []string{certificate.StatusActive, certificate.StatusRevoked}, Desc: "The stored status; see state for what holds now."},
	"api.CertificateView.course_start":  {Format: "date"},
	"api.CertificateView.course_end":    {Format: "date"},
	"api.ReviewRequest.reason":          {Desc: "Required when rejecting."},
	"api.AuditList.next":                {Desc: "Pass as before to get the next (older) page; absent on the last page."},
	"api.ModuleView.html":               {Desc: "The module's content as sanitised HTML."},
	"api.CourseOutline.status":          {Desc: "A candidate's coursework standing in their active cohort."},
	"api.SlotList.open":                 {Desc: "For candidates: open slots they may book."},
	"api.SlotList.slots":                {Desc: "For trainers and vendor admins: slots with their bookings."},
	"eligibility.View.status":           {Enum: appStatuses},
	"eligibility.Summary.status":        {Enum: appStatuses},
	"eligibility.QueueRow.status":       {Enum: appStatuses},
	"eligibility.Document.kind":         {Enum: docKinds},
	"eligibility.Draft.education":       {Enum: []string{"", eligibility.EducationDiploma, eligibility.EducationGED}},
	"eligibility.View.education":        {Enum: []string{"", eligibility.EducationDiploma, eligibility.EducationGED}},
	"eligibility.Draft.dob":             {Desc: ymd},
	"eligibility.PositionInput.start":   {Desc: ymd},
	"eligibility.PositionInput.end":     {Desc: ymd + " Empty while the position is ongoing."},
	"eligibility.PositionInput.hours":   {Desc: "Hours a week, a decimal."},
	"eligibility.CourseInput.completed": {Desc: ymd},
	"eligibility.Requirement.code":      {Desc: "Which requirement is unmet (age, education, experience, self_identifies, attestation, consent; proof_education and proof_experience for a proof Submit needs and no document of that kind shows)."},
	"cohort.Session.date":               {Format: "date"},
	"cohort.Mark.status":                {Enum: attendance},
	"cohort.Attendance.status":          {Enum: attendance},
	"cohort.Enrollment.status":          {Enum: enrollStatuses},
	"cohort.Status.enrollment_status":   {Enum: enrollStatuses},
	"cohort.CreateInput.dates":          {Desc: "The ten session dates, YYYY-MM-DD, in order."},
	"exam.AttemptView.status":           {Enum: attemptStatus},
	"exam.AttemptResult.status":         {Enum: attemptStatus},
	"exam.CohortResult.status":          {Enum: attemptStatus},
	"exam.Summary.status":               {Enum: attemptStatus},
	"exam.Question.type":                {Enum: itemTypes},
	"exam.ItemStat.type":                {Enum: itemTypes},
	"exam.Question.selected":            {Desc: "The saved answer: indexes into options as shown in this attempt."},
	"exam.Question.options":             {Desc: "The options in this attempt's (shuffled) order; answers index this list."},
	"exam.Saved.applied":                {Desc: "False when a newer save (a higher seq) was already stored."},
	"exam.AttemptView.now":              {Desc: "The server's clock: compute the time left from deadline_at and now, not the device's clock."},
	"oral.Slot.mode":                    {Enum: slotModes},
	"oral.OpenSlot.mode":                {Enum: slotModes},
	"oral.TrainerSlot.mode":             {Enum: slotModes},
	"oral.SlotInput.mode":               {Enum: slotModes},
	"oral.Slot.status":                  {Enum: slotStatuses},
	"oral.OpenSlot.status":              {Enum: slotStatuses},
	"oral.TrainerSlot.status":           {Enum: slotStatuses},
	"oral.BookingView.status":           {Enum: bookingStatus},
	"oral.BookingInfo.status":           {Enum: bookingStatus},
	"oral.SlotInput.date":               {Desc: ymd + " The first date."},
	"oral.SlotInput.start":              {Desc: hm},
	"oral.SlotInput.end":                {Desc: hm + " After start, on the same day."},
	"oral.SlotInput.slot_minutes":       {Desc: "0: one slot from start to end; otherwise the block is cut into slots of this length."},
	"oral.SlotInput.weeks":              {Desc: "Repeat weekly for this many weeks (1: once)."},
	"oral.GradeInput.scores":            {Desc: "A score per competency id of the rubric (GET /oral/rubric)."},
	"oral.GradeInput.notes":             {Desc: "Evidence notes per competency id."},
	"certificate.Public.status":         {Enum: certStates, Desc: "The certificate's state now."},
	"ce.Activity.category":              {Enum: ceCategories},
	"ce.ActivityInput.category":         {Enum: ceCategories},
	"ce.Activity.status":                {Enum: ceStatuses},
	"ce.Activity.date":                  {Format: "date"},
	"ce.ActivityInput.date":             {Desc: ymd},
	"ce.ActivityInput.hours":            {Desc: "Hours as a decimal with at most two places (\"1.5\")."},
	"privacy.Export.status":             {Enum: exportStatuses},
	"notify.Message.status":             {Enum: mailStatuses},
	"httpx.ErrorDetail.code":            {Desc: "A stable, machine-readable code (not_found, validation, forbidden, ...)."},
	"httpx.ErrorDetail.message":         {Desc: "A message a person understands; safe to show."},
	"httpx.ErrorDetail.fields":          {Desc: "Per-field messages, keyed by the JSON field name."},
	"httpx.ErrorDetail.request_id":      {Desc: "Quote this when asking for help."},
	"api.TokenResponse.expires_at":      {Desc: "The token stops working at this time."},
	"exam.Settings.pass_percent":        {Desc: "The percentage needed to pass (whole number)."},
	"certificate.ReadyRow.revoked":      {Desc: "Numbers of the candidate's revoked certificates, if any."},
	"eligibility.Result.unmet":          {Desc: "The requirements not met yet; empty when eligible."},
}

// typeDocs describes component schemas.
var typeDocs = map[string]string{
	"httpx.ErrorBody":     "The error envelope of every 4xx and 5xx answer.",
	"api.CertificateView": "A certificate and its state now.",
	"ce.Activity":         "A continuing-education activity; hours is a decimal, has_proof says whether a proof file was uploaded.",
}

// ceActivityFields is ce.Activity without its MarshalJSON.
type ceActivityFields ce.Activity

// CEActivityWire is what ce.Activity's MarshalJSON writes.
type CEActivityWire struct {
	ceActivityFields
	Hours    float64 `json:"hours"`
	HasProof bool    `json:"has_proof"`
}

// wireTypes describes types with their own MarshalJSON by a struct of the same JSON shape.
var wireTypes = map[reflect.Type]reflect.Type{
	reflect.TypeOf(ce.Activity{}): reflect.TypeOf(CEActivityWire{}),
}
