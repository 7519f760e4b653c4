package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/api/client"
	"github.com/peeracademy/peeracademy/internal/cohort"
	"github.com/peeracademy/peeracademy/internal/testutil/apptest"
	"github.com/peeracademy/peeracademy/internal/testutil/dbtest"
)

// envDoer sends the generated client's requests through the app (and so through the contract check).
type envDoer struct{ env *apptest.Env }

func (d envDoer) Do(req *http.Request) (*http.Response, error) { return d.env.Do(req), nil }

func newClient(t *testing.T, env *apptest.Env, token string) *client.ClientWithResponses {
	t.Helper()
	opts := []client.ClientOption{client.WithHTTPClient(envDoer{env})}
	if token != "" {
		opts = append(opts, client.WithRequestEditorFn(func(_ context.Context, r *http.Request) error {
			r.Header.Set("Authorization", "Bearer "+token)
			return nil
		}))
	}
	c, err := client.NewClientWithResponses("http://peeracademy.test", opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

type statusCoder interface{ StatusCode() int }

// must fails unless the call succeeded with status want, and returns the response.
func must[R statusCoder](t *testing.T, p pair[R], want int) pair[R] {
	t.Helper()
	if p.err != nil {
		t.Fatal(p.err)
	}
	if p.r.StatusCode() != want {
		body := reflect.Indirect(reflect.ValueOf(p.r)).FieldByName("Body").Bytes()
		t.Fatalf("HTTP %d, want %d: %.500s", p.r.StatusCode(), want, body)
	}
	return p
}

var tokenRE = regexp.MustCompile(`https?://\S+`)

// mailedToken reads the newest mail to addr through the API (GET /mail) and returns the token in
// its first link.
func mailedToken(t *testing.T, admin *client.ClientWithResponses, addr string) string {
	t.Helper()
	r := must(t, nilErr(admin.GetMailWithResponse(context.Background(), &client.GetMailParams{To: &addr})), 200)
	if len(r.r.JSON200.Messages) == 0 {
		t.Fatalf("no mail to %s", addr)
	}
	u, err := url.Parse(tokenRE.FindString(r.r.JSON200.Messages[0].Body))
	if err != nil || u.Query().Get("token") == "" {
		t.Fatalf("no token link in %q", r.r.JSON200.Messages[0].Body)
	}
	return u.Query().Get("token")
}

// pair is a generated call's answer.
type pair[R statusCoder] struct {
	r   R
	err error
}

func nilErr[R statusCoder](r R, err error) pair[R] { return pair[R]{r, err} }

// signIn gets a bearer token through POST /auth/token.
func signIn(t *testing.T, anon *client.ClientWithResponses, email, code string) string {
	t.Helper()
	body := client.ApiTokenRequest{Email: email, Password: apptest.Password}
	if code != "" {
		body.TotpCode = &code
	}
	r := must(t, nilErr(anon.PostAuthTokenWithResponse(context.Background(), body)), 201)
	return r.r.JSON201.Token
}

// enrolStaff accepts an invitation and enrols an authenticator through the API alone, and returns
// a signed-in client.
func enrolStaff(t *testing.T, env *apptest.Env, anon, platform *client.ClientWithResponses, email string) *client.ClientWithResponses {
	t.Helper()
	ctx := context.Background()
	tok := mailedToken(t, platform, email)
	must(t, nilErr(anon.PostAuthInvitationWithResponse(ctx, client.ApiAcceptInvitation{Token: tok, Name: "Staff Member", Password: apptest.Password})), 200)
	// Without an authenticator a staff member gets no token, and is told how to enrol.
	r := must(t, nilErr(anon.PostAuthTokenWithResponse(ctx, client.ApiTokenRequest{Email: email, Password: apptest.Password})), 403)
	if r.r.JSON403.Error.Code != "mfa_setup_required" {
		t.Fatalf("code %q", r.r.JSON403.Error.Code)
	}
	enr := must(t, nilErr(anon.PostAuthTotpWithResponse(ctx, client.ApiTOTPBeginRequest{Email: email, Password: apptest.Password})), 201).r.JSON201
	if !strings.HasPrefix(enr.OtpauthUrl, "otpauth://totp/") {
		t.Fatalf("otpauth URL %q", enr.OtpauthUrl)
	}
	must(t, nilErr(anon.PostAuthTotpConfirmWithResponse(ctx, client.ApiTOTPConfirmRequest{Email: email, Password: apptest.Password, Code: "000000"})), 422)
	code, _ := totp.GenerateCode(enr.Secret, time.Now())
	rc := must(t, nilErr(anon.PostAuthTotpConfirmWithResponse(ctx, client.ApiTOTPConfirmRequest{Email: email, Password: apptest.Password, Code: code})), 201).r.JSON201
	if len(rc.RecoveryCodes) == 0 {
		t.Fatal("no recovery codes")
	}
	// The confirming code cannot be replayed: sign in with a recovery code.
	return newClient(t, env, signIn(t, anon, email, rc.RecoveryCodes[0]))
}

// TestJourneyThroughTheGeneratedClient drives the whole journey, from a platform admin creating a
// vendor to a revoked certificate, through the generated client alone (the test sets only the
// server's clock for the oral exam, which may be graded only once its slot has started).
func TestJourneyThroughTheGeneratedClient(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		env := apptest.New(t, d)
		ctx := context.Background()
		anon := newClient(t, env, "")

		// Platform admin (a fixture account with an authenticator).
		pa := env.User(account.RolePlatformAdmin, "")
		code, _ := totp.GenerateCode(pa.TOTPSecret, time.Now())
		platform := newClient(t, env, signIn(t, anon, pa.Email, code))
		must(t, nilErr(platform.GetMeWithResponse(ctx)), 200)
		v := must(t, nilErr(platform.PostVendorsWithResponse(ctx, client.ApiVendorRequest{Name: "Keystone Peer Training", Slug: "keystone"})), 201).r.JSON201
		must(t, nilErr(platform.PutVendorsByIdRecognitionWithResponse(ctx, v.Id, client.ApiRecognitionRequest{Recognised: true})), 200)
		adminEmail := "admin@keystone.example.org"
		must(t, nilErr(platform.PostInvitationsWithResponse(ctx, client.ApiInviteRequest{Email: adminEmail, Role: client.ApiInviteRequestRoleVendorAdmin, VendorId: &v.Id})), 202)
		admin := enrolStaff(t, env, anon, platform, adminEmail)

		trainerEmail := "trainer@keystone.example.org"
		must(t, nilErr(admin.PostInvitationsWithResponse(ctx, client.ApiInviteRequest{Email: trainerEmail, Role: client.ApiInviteRequestRoleTrainer})), 202)
		trainer := enrolStaff(t, env, anon, platform, trainerEmail)
		trainerMe := must(t, nilErr(trainer.GetMeWithResponse(ctx)), 200).r.JSON200

		// Candidate: register, confirm the address, sign in.
		candEmail := "zoe@example.org"
		must(t, nilErr(anon.PostAuthRegisterWithResponse(ctx, client.ApiRegisterRequest{Email: candEmail, Name: "Zoë Nuñez-O'Brien", Password: apptest.Password})), 202)
		must(t, nilErr(anon.PostAuthVerifyEmailWithResponse(ctx, client.ApiTokenOnly{Token: mailedToken(t, platform, candEmail)})), 200)
		cand := newClient(t, env, signIn(t, anon, candEmail, ""))
		me := must(t, nilErr(cand.GetMeWithResponse(ctx)), 200).r.JSON200

		// Eligibility application with a document.
		vs := must(t, nilErr(cand.GetVendorsWithResponse(ctx, &client.GetVendorsParams{})), 200).r.JSON200
		if len(vs.Vendors) != 1 {
			t.Fatalf("vendors %+v", vs.Vendors)
		}
		app := must(t, nilErr(cand.PostApplicationsWithResponse(ctx, client.ApiStartApplication{VendorId: v.Id})), 201).r.JSON201
		appID := app.Application.Id
		today := time.Now()
		draft := client.EligibilityDraft{LegalName: "Zoë Nuñez-O'Brien", Email: candEmail, Dob: "1985-04-12", Education: client.EligibilityDraftEducationGed, EducationYear: "2003",
			SelfIdentifies: true, Attestation: "I have lived with depression and have been in recovery for several years.", Consent: true, Courses: []client.EligibilityCourseInput{},
			Positions: []client.EligibilityPositionInput{{Title: "Volunteer", Organisation: "Community drop-in center", Start: today.AddDate(-2, 0, 0).Format("2006-01-02"), Hours: "10"}}}
		must(t, nilErr(cand.PutApplicationsByIdWithResponse(ctx, appID, draft)), 200)
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		mw.WriteField("kind", "diploma")
		fw, _ := mw.CreateFormFile("file", "diploma.pdf")
		fw.Write([]byte("%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"))
		mw.Close()
		doc := must(t, nilErr(cand.PostApplicationsByIdDocumentsWithBodyWithResponse(ctx, appID, mw.FormDataContentType(), &buf)), 201).r.JSON201
		must(t, nilErr(cand.GetApplicationsByIdDocumentsByDocWithResponse(ctx, appID, doc.Id)), 200)
		mw2 := multipart.NewWriter(&buf)
		mw2.WriteField("kind", "other")
		fw, _ = mw2.CreateFormFile("file", "extra.pdf")
		fw.Write([]byte("%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"))
		mw2.Close()
		extra := must(t, nilErr(cand.PostApplicationsByIdDocumentsWithBodyWithResponse(ctx, appID, mw2.FormDataContentType(), &buf)), 201).r.JSON201
		must(t, nilErr(cand.DeleteApplicationsByIdDocumentsByDocWithResponse(ctx, appID, extra.Id)), 204)
		// Without a letter confirming the volunteering, Submit is refused and says so.
		refused := must(t, nilErr(cand.PostApplicationsByIdSubmitWithResponse(ctx, appID)), 422).r
		if !strings.Contains(string(refused.Body), "Upload a letter from an employer") {
			t.Errorf("submit without the letter: %s", refused.Body)
		}
		mw3 := multipart.NewWriter(&buf)
		mw3.WriteField("kind", "work")
		fw, _ = mw3.CreateFormFile("file", "letter.pdf")
		fw.Write([]byte("%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"))
		mw3.Close()
		must(t, nilErr(cand.PostApplicationsByIdDocumentsWithBodyWithResponse(ctx, appID, mw3.FormDataContentType(), &buf)), 201)
		must(t, nilErr(cand.PostApplicationsByIdSubmitWithResponse(ctx, appID)), 200)
		must(t, nilErr(cand.GetApplicationsWithResponse(ctx, &client.GetApplicationsParams{})), 200)
		must(t, nilErr(admin.GetReviewWithResponse(ctx, &client.GetReviewParams{})), 200)
		must(t, nilErr(admin.GetApplicationsByIdWithResponse(ctx, appID)), 200)
		dec := must(t, nilErr(admin.PostApplicationsByIdDecisionWithResponse(ctx, appID, client.ApiDecisionRequest{Decision: client.ApiDecisionRequestDecisionApprove})), 200).r.JSON200
		if dec.Application.Status != client.EligibilityViewStatusApproved {
			t.Fatalf("status %s", dec.Application.Status)
		}

		// Cohort (started twenty days ago), enrolment, attendance, modules.
		start := time.Now().AddDate(0, 0, -20)
		var dates []string
		for i := 0; i < cohort.Days; i++ {
			dates = append(dates, start.AddDate(0, 0, i).Format("2006-01-02"))
		}
		co := must(t, nilErr(admin.PostCohortsWithResponse(ctx, client.CohortCreateInput{Name: "Autumn", Delivery: "virtual", Capacity: 5, Dates: dates, TrainerIds: []string{trainerMe.Id}})), 201).r.JSON201
		must(t, nilErr(admin.PostCohortsByIdEnrollmentsWithResponse(ctx, co.Id, client.ApiEnrollRequest{Email: candEmail})), 201)
		must(t, nilErr(trainer.GetCohortsWithResponse(ctx, &client.GetCohortsParams{})), 200)
		must(t, nilErr(trainer.GetCohortsByIdWithResponse(ctx, co.Id)), 200)
		other := env.User(account.RoleCandidate, "") // a second candidate, approved through the services
		adminMe := must(t, nilErr(admin.GetMeWithResponse(ctx)), 200).r.JSON200
		env.Approve(&account.User{ID: adminMe.Id, Role: account.RoleVendorAdmin, VendorID: &v.Id}, other)
		must(t, nilErr(admin.PostCohortsByIdEnrollmentsWithResponse(ctx, co.Id, client.ApiEnrollRequest{Email: other.Email})), 201)
		must(t, nilErr(admin.DeleteCohortsByIdEnrollmentsByCandidateWithResponse(ctx, co.Id, other.ID)), 204)
		must(t, nilErr(admin.PostExamOverridesWithResponse(ctx, client.ApiOverrideRequest{CandidateId: me.Id, Reason: "Sat the pilot course."})), 204)
		must(t, nilErr(admin.PostExamAccommodationsWithResponse(ctx, client.ApiAccommodationRequest{CandidateId: me.Id, ExtraMinutes: 30, Reason: "Documented accommodation."})), 204)
		for day := 1; day <= cohort.Days; day++ {
			must(t, nilErr(trainer.PutCohortsByIdAttendanceByDayWithResponse(ctx, co.Id, day, client.ApiAttendanceRequest{Marks: []client.CohortMark{{CandidateId: me.Id, Status: client.CohortMarkStatusPresent}}})), 200)
		}
		day2 := 2
		must(t, nilErr(trainer.PostCohortsByIdMakeupWithResponse(ctx, co.Id, client.CohortMakeupInput{CandidateId: me.Id, Day: &day2, Description: "Read the day's handouts with a trainer.", Minutes: 30})), 201)
		outline := must(t, nilErr(cand.GetCurriculumWithResponse(ctx)), 200).r.JSON200
		for _, m := range outline.Modules {
			mv := must(t, nilErr(cand.GetModulesBySlugWithResponse(ctx, m.Slug)), 200).r.JSON200
			mod, _ := env.App.Curriculum.Module(m.Slug)
			answers := []int{}
			for i := range mv.Check {
				answers = append(answers, mod.Check[i].Answer)
			}
			must(t, nilErr(cand.PostModulesBySlugCheckWithResponse(ctx, m.Slug, client.ApiCheckRequest{Answers: answers})), 200)
		}
		prog := must(t, nilErr(trainer.GetCohortsByIdProgressWithResponse(ctx, co.Id, &client.GetCohortsByIdProgressParams{})), 200).r.JSON200
		if len(prog.Statuses) != 1 || !prog.Statuses[0].Complete {
			t.Fatalf("coursework not complete: %+v", prog.Statuses)
		}

		// Written exam: a short form, answered with the keys.
		set := must(t, nilErr(admin.GetExamSettingsWithResponse(ctx)), 200).r.JSON200
		set.FormLength = 5
		must(t, nilErr(admin.PutExamSettingsWithResponse(ctx, *set)), 200)
		must(t, nilErr(cand.GetExamWithResponse(ctx, &client.GetExamParams{})), 200)
		att := must(t, nilErr(cand.PostExamAttemptsWithResponse(ctx)), 201).r.JSON201
		view := must(t, nilErr(cand.GetExamAttemptsByIdWithResponse(ctx, att.Id)), 200).r.JSON200
		for i, q := range view.Questions {
			it, _ := env.App.Exams.Bank.Item(q.ItemId)
			keyed := map[string]bool{}
			for _, o := range it.Answer {
				keyed[it.Options[o]] = true
			}
			choice := []int{}
			for d, text := range q.Options {
				if keyed[text] {
					choice = append(choice, d)
				}
			}
			must(t, nilErr(cand.PutExamAttemptsByIdAnswersByItemWithResponse(ctx, att.Id, q.ItemId, client.ApiAnswerRequest{Choice: choice, Seq: int64(i + 1)})), 200)
		}
		res := must(t, nilErr(cand.PostExamAttemptsByIdSubmitWithResponse(ctx, att.Id)), 200).r.JSON200
		if !res.Passed {
			t.Fatalf("written exam not passed: %+v", res)
		}
		must(t, nilErr(admin.GetCohortsByIdExamResultsWithResponse(ctx, co.Id, &client.GetCohortsByIdExamResultsParams{})), 200)
		csvFormat := client.Csv
		must(t, nilErr(admin.GetCohortsByIdExamResultsWithResponse(ctx, co.Id, &client.GetCohortsByIdExamResultsParams{Format: &csvFormat})), 200)
		must(t, nilErr(admin.GetExamItemAnalysisWithResponse(ctx, &client.GetExamItemAnalysisParams{})), 200)

		// Oral exam: a slot three days ahead, booked, graded once it has started.
		ny, _ := time.LoadLocation("America/New_York")
		slots := must(t, nilErr(trainer.PostOralSlotsWithResponse(ctx, client.OralSlotInput{Date: time.Now().In(ny).AddDate(0, 0, 3).Format("2006-01-02"),
			Start: "10:00", End: "10:45", Weeks: 1, Mode: client.OralSlotInputModeVirtual, Location: "https://meet.example.org/x"})), 201).r.JSON201
		open := must(t, nilErr(cand.GetOralSlotsWithResponse(ctx, &client.GetOralSlotsParams{})), 200).r.JSON200
		if open.Open == nil || len(*open.Open) != 1 {
			t.Fatalf("open slots %+v", open.Open)
		}
		spare := must(t, nilErr(trainer.PostOralSlotsWithResponse(ctx, client.OralSlotInput{Date: time.Now().In(ny).AddDate(0, 0, 4).Format("2006-01-02"),
			Start: "10:00", End: "10:45", Weeks: 1, Mode: client.OralSlotInputModeVirtual, Location: "https://meet.example.org/y"})), 201).r.JSON201
		first := must(t, nilErr(cand.PostOralBookingsWithResponse(ctx, client.ApiBookRequest{SlotId: (*spare)[0].Id})), 201).r.JSON201
		moved := must(t, nilErr(cand.PostOralBookingsByIdRescheduleWithResponse(ctx, first.Id, client.ApiBookRequest{SlotId: (*slots)[0].Id})), 200).r.JSON200
		must(t, nilErr(cand.PostOralBookingsByIdCancelWithResponse(ctx, moved.Id, client.ApiReasonRequest{})), 204)
		// A booking the candidate misses is recorded as a no-show once its slot has started.
		missed := must(t, nilErr(cand.PostOralBookingsWithResponse(ctx, client.ApiBookRequest{SlotId: (*slots)[0].Id})), 201).r.JSON201
		missedAt := (*slots)[0].StartsAt
		env.App.Oral.Now = func() time.Time { return missedAt.Add(time.Hour) }
		must(t, nilErr(trainer.PostOralBookingsByIdNoShowWithResponse(ctx, missed.Id)), 204)
		env.App.Oral.Now = nil
		bk := must(t, nilErr(cand.PostOralBookingsWithResponse(ctx, client.ApiBookRequest{SlotId: (*spare)[0].Id})), 201).r.JSON201
		ics := must(t, nilErr(cand.GetOralBookingsByIdIcsWithResponse(ctx, bk.Id)), 200)
		if !strings.Contains(string(ics.r.Body), "BEGIN:VEVENT") {
			t.Fatalf("ics %q", ics.r.Body)
		}
		must(t, nilErr(cand.GetOralWithResponse(ctx, &client.GetOralParams{})), 200)
		feed := must(t, nilErr(trainer.PostOralFeedWithResponse(ctx)), 201).r.JSON201
		if !strings.HasSuffix(feed.Url, ".ics") {
			t.Fatalf("feed %q", feed.Url)
		}
		must(t, nilErr(trainer.DeleteOralFeedWithResponse(ctx)), 204)
		rub := must(t, nilErr(trainer.GetOralRubricWithResponse(ctx)), 200).r.JSON200
		if len(rub.Competencies) == 0 {
			t.Fatal("empty rubric")
		}
		startsAt := (*spare)[0].StartsAt
		env.App.Oral.Now = func() time.Time { return startsAt.Add(time.Hour) }
		env.App.API.Now = env.App.Oral.Now
		// The trainer's list reaches back seven days by default: the started slot and its booking are there.
		ts := must(t, nilErr(trainer.GetOralSlotsWithResponse(ctx, &client.GetOralSlotsParams{})), 200).r.JSON200
		booked := 0
		for _, sl := range *ts.Slots {
			if sl.Booking != nil && sl.Booking.Id == bk.Id {
				booked++
			}
		}
		if booked != 1 {
			t.Fatalf("the started slot's booking is not listed: %+v", ts.Slots)
		}
		// The trainer taught the candidate's cohort: the vendor admin records an audited exception first.
		bookingID := bk.Id
		must(t, nilErr(admin.PostOralExceptionsWithResponse(ctx, client.OralExceptionInput{ExaminerId: trainerMe.Id, BookingId: &bookingID,
			Reason: "The only examiner available this month."})), 201)
		var grade client.OralGradeInput
		gb, _ := json.Marshal(env.PassingGrade("Clear, warm and safe."))
		json.Unmarshal(gb, &grade)
		g := must(t, nilErr(trainer.PostOralBookingsByIdGradeWithResponse(ctx, bk.Id, grade)), 201).r.JSON201
		must(t, nilErr(trainer.PostOralGradesByIdAmendWithResponse(ctx, g.Id, client.ApiAmendRequest{Reason: "Feedback reworded.", Grade: grade})), 201)
		env.App.Oral.Now, env.App.API.Now = nil, nil
		if !g.Passed {
			t.Fatal("oral not passed")
		}

		// Certificate, its files, public verification, CE, revocation.
		ready := must(t, nilErr(admin.GetCertificatesReadyWithResponse(ctx, &client.GetCertificatesReadyParams{})), 200).r.JSON200
		if len(ready.Ready) != 1 {
			t.Fatalf("ready %+v", ready.Ready)
		}
		certs := must(t, nilErr(admin.PostCertificatesWithResponse(ctx, client.ApiIssueRequest{CandidateIds: []string{me.Id}})), 201).r.JSON201
		cert := certs.Certificates[0]
		mine := must(t, nilErr(cand.GetCertificatesWithResponse(ctx, &client.GetCertificatesParams{})), 200).r.JSON200
		if len(mine.Certificates) != 1 || mine.Certificates[0].State != client.ApiCertificateViewStateActive {
			t.Fatalf("certificates %+v", mine.Certificates)
		}
		pdf := must(t, nilErr(cand.GetCertificatesByIdPdfWithResponse(ctx, cert.Id)), 200)
		if !bytes.HasPrefix(pdf.r.Body, []byte("%PDF")) {
			t.Fatal("the certificate is not a PDF")
		}
		must(t, nilErr(cand.GetCertificatesByIdCompletionRecordWithResponse(ctx, cert.Id)), 200)
		cred := must(t, nilErr(cand.GetCertificatesByIdCredentialWithResponse(ctx, cert.Id)), 200)
		if strings.Count(string(cred.r.Body), ".") != 2 {
			t.Fatalf("credential %q is not a compact JWS", cred.r.Body)
		}
		pub := must(t, nilErr(anon.GetVerifyByCodeWithResponse(ctx, cert.VerifyCode)), 200).r.JSON200
		if pub.Status != client.CertificatePublicStatusActive {
			t.Fatalf("public status %s", pub.Status)
		}
		must(t, nilErr(anon.PostVerifyWithResponse(ctx, client.ApiLookupRequest{Number: cert.Number, LastName: "Nuñez-O'Brien"})), 200)
		act := must(t, nilErr(cand.PostCertificatesByIdCeWithResponse(ctx, cert.Id, client.CeActivityInput{Title: "Trauma-informed care", Provider: "PCB", Date: time.Now().In(ny).Format("2006-01-02"), Hours: "2", Category: client.CeActivityInputCategoryGeneral})), 201).r.JSON201
		must(t, nilErr(admin.PostCeByIdReviewWithResponse(ctx, act.Id, client.ApiReviewRequest{Verify: true})), 204)
		ce := must(t, nilErr(cand.GetCertificatesByIdCeWithResponse(ctx, cert.Id, &client.GetCertificatesByIdCeParams{})), 200).r.JSON200
		if len(ce.Activities) != 1 || ce.Activities[0].Status != client.CeActivityStatusVerified {
			t.Fatalf("CE %+v", ce.Activities)
		}
		must(t, nilErr(admin.GetCertificatesExportWithResponse(ctx)), 200)
		must(t, nilErr(admin.GetReportsWithResponse(ctx)), 200)
		must(t, nilErr(admin.GetReportsExportWithResponse(ctx)), 200)
		must(t, nilErr(admin.PostCertificatesByIdRevokeWithResponse(ctx, cert.Id, client.ApiReasonRequest{Reason: "Issued in error."})), 200)
		pub = must(t, nilErr(anon.GetVerifyByCodeWithResponse(ctx, cert.VerifyCode)), 200).r.JSON200
		if pub.Status != client.CertificatePublicStatusRevoked {
			t.Fatalf("public status after revocation %s", pub.Status)
		}
		must(t, nilErr(admin.PostCertificatesByIdReinstateWithResponse(ctx, cert.Id, client.ApiReasonRequest{Reason: "Revoked by mistake."})), 200)
		// The audit log, read whole in one page and again five events a page by next_cursor: the
		// same events in the same order.
		hundred := 100
		whole := must(t, nilErr(admin.GetAuditWithResponse(ctx, &client.GetAuditParams{Limit: &hundred})), 200).r.JSON200
		if len(whole.Events) < 10 || whole.NextCursor != nil {
			t.Fatalf("audit: %d events, next %v", len(whole.Events), whole.NextCursor)
		}
		var paged []string
		five := 5
		for q := (&client.GetAuditParams{Limit: &five}); ; {
			pg := must(t, nilErr(admin.GetAuditWithResponse(ctx, q)), 200).r.JSON200
			for _, e := range pg.Events {
				paged = append(paged, e.Id)
			}
			if pg.NextCursor == nil {
				break
			}
			q.Cursor = pg.NextCursor
		}
		if len(paged) != len(whole.Events) || paged[0] != whole.Events[0].Id || paged[len(paged)-1] != whole.Events[len(whole.Events)-1].Id {
			t.Fatalf("audit by pages of five: %d events, one page: %d", len(paged), len(whole.Events))
		}
		must(t, nilErr(admin.PostExamItemsByItemRetireWithResponse(ctx, view.Questions[0].ItemId, client.ApiRetireRequest{Reason: "Ambiguous stem."})), 204)

		// Accounts: the users list, disabling and enabling, the data archive, a password reset, an
		// account deletion, and revoking a token.
		must(t, nilErr(platform.GetUsersWithResponse(ctx, &client.GetUsersParams{})), 200)
		must(t, nilErr(admin.PostUsersByIdDisableWithResponse(ctx, trainerMe.Id)), 200)
		must(t, nilErr(admin.PostUsersByIdEnableWithResponse(ctx, trainerMe.Id)), 200)
		must(t, nilErr(cand.PostMeDataExportsWithResponse(ctx)), 202)
		if _, err := env.App.Privacy.BuildPending(ctx); err != nil { // the server's background job
			t.Fatal(err)
		}
		exports := must(t, nilErr(cand.GetMeDataExportsWithResponse(ctx, &client.GetMeDataExportsParams{})), 200).r.JSON200
		if len(exports.Exports) != 1 || exports.Exports[0].Status != client.PrivacyExportStatusReady {
			t.Fatalf("exports %+v", exports.Exports)
		}
		zip := must(t, nilErr(cand.GetMeDataExportsByIdDownloadWithResponse(ctx, exports.Exports[0].Id)), 200)
		if !bytes.HasPrefix(zip.r.Body, []byte("PK")) {
			t.Fatal("the archive is not a zip")
		}
		must(t, nilErr(cand.GetMeDataExportsByIdDownloadWithResponse(ctx, exports.Exports[0].Id)), 410)
		must(t, nilErr(anon.PostAuthPasswordForgotWithResponse(ctx, client.ApiEmailRequest{Email: other.Email})), 202)
		must(t, nilErr(anon.PostAuthPasswordResetWithResponse(ctx, client.ApiResetRequest{Token: mailedToken(t, platform, other.Email), Password: apptest.Password + " again"})), 200)
		otherTok := must(t, nilErr(anon.PostAuthTokenWithResponse(ctx, client.ApiTokenRequest{Email: other.Email, Password: apptest.Password + " again"})), 201).r.JSON201.Token
		must(t, nilErr(newClient(t, env, otherTok).PostMeDeletionWithResponse(ctx, client.ApiDeleteAccountRequest{Password: apptest.Password + " again"})), 204)
		drafter := env.User(account.RoleCandidate, "")
		dc := newClient(t, env, signIn(t, anon, drafter.Email, ""))
		da := must(t, nilErr(dc.PostApplicationsWithResponse(ctx, client.ApiStartApplication{VendorId: v.Id})), 201).r.JSON201
		must(t, nilErr(dc.PostApplicationsByIdWithdrawWithResponse(ctx, da.Application.Id)), 200)
		must(t, nilErr(dc.PostApplicationsByIdDeletionWithResponse(ctx, da.Application.Id)), 200)
		must(t, nilErr(cand.DeleteAuthTokenWithResponse(ctx)), 204)
		// The session cache follows the database's change feed, which on PostgreSQL arrives a moment
		// later: wait for the revocation to take effect.
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			r, err := cand.GetMeWithResponse(ctx)
			if err == nil && r.StatusCode() == http.StatusUnauthorized {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("a revoked token still works after five seconds")
			}
		}
	})
}
