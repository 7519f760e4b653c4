package web

import (
	"github.com/gofiber/fiber/v2"

	"github.com/peeracademy/peeracademy/internal/account"
)

// Register mounts every HTML route. The table reads like a sitemap; access is stated on each line.
func (h *Handlers) Register(app fiber.Router) {
	signedIn := RequireRole()
	admin := RequireRole(account.RolePlatformAdmin)
	vendorAdmin := RequireRole(account.RoleVendorAdmin)
	anyAdmin := RequireRole(account.RoleVendorAdmin, account.RolePlatformAdmin)

	r := app.Group("", h.checkCSRF)

	// Public pages.
	r.Get("/", h.home)
	r.Get("/privacy", h.privacy)
	r.Get("/register", h.registerForm)
	r.Post("/register", h.register)
	r.Get("/verify-email", h.verifyEmail)
	r.Get("/login", h.loginForm)
	r.Post("/login", h.login)
	r.Get("/login/mfa", h.mfaForm) // partly signed-in session only
	r.Post("/login/mfa", h.mfa)    // partly signed-in session only
	r.Post("/logout", h.logout)
	r.Get("/password/forgot", h.forgotForm)
	r.Post("/password/forgot", h.forgot)
	r.Get("/password/reset", h.resetForm)
	r.Post("/password/reset", h.reset)
	r.Get("/setup", h.setupForm)
	r.Post("/setup", h.setup)
	r.Get("/invite", h.inviteForm)
	r.Post("/invite", h.acceptInvite)

	// Any signed-in user.
	r.Get("/dashboard", signedIn, h.dashboard)
	r.Get("/account", signedIn, h.accountPage)
	r.Get("/account/mfa", h.mfaSetupForm) // signed in, or held at the mfa_setup stage
	r.Post("/account/mfa", h.mfaSetup)
	r.Post("/account/sessions/end", signedIn, h.endAllSessions)
	r.Get("/account/data", signedIn, h.myData)
	r.Post("/account/data/export", signedIn, h.requestExport)
	r.Get("/account/data/exports/:id/download", signedIn, h.downloadExport)
	r.Get("/account/delete", RequireRole(account.RoleCandidate), h.deleteAccountForm)
	r.Post("/account/delete", RequireRole(account.RoleCandidate), h.deleteAccount)

	// Vendor administrators: their own organisation.
	r.Get("/vendor", vendorAdmin, h.ownVendor)
	r.Post("/vendor/logo", vendorAdmin, h.uploadLogo)
	r.Post("/vendor/invitations", vendorAdmin, h.invite)
	r.Get("/vendors/:id/logo", anyAdmin, h.vendorLogo)

	// Eligibility: candidates apply; their vendor's admins review. Both see only what is theirs.
	candidate := RequireRole(account.RoleCandidate)
	r.Get("/applications", candidate, h.applications)
	r.Post("/applications", candidate, h.startApplication)
	r.Get("/applications/:id", candidate, h.application)
	r.Get("/applications/:id/edit", candidate, h.editApplication)
	r.Post("/applications/:id/edit", candidate, h.saveApplication)
	r.Post("/applications/:id/submit", candidate, h.applicationAction("submit"))
	r.Post("/applications/:id/withdraw", candidate, h.applicationAction("withdraw"))
	r.Post("/applications/:id/delete", candidate, h.applicationAction("delete"))
	r.Post("/applications/:id/documents", candidate, h.uploadDocument)
	r.Post("/applications/:id/documents/:doc/delete", candidate, h.deleteDocument)
	r.Get("/applications/:id/documents/:doc", candidate, h.document)
	r.Get("/review", vendorAdmin, h.reviewQueue)
	r.Get("/review/:id", vendorAdmin, h.reviewApplication)
	r.Post("/review/:id/decision", vendorAdmin, h.decide)
	r.Get("/review/:id/documents/:doc", vendorAdmin, h.document)

	// The written examination.
	r.Get("/exam", candidate, h.examHome)
	r.Post("/exam/start", candidate, h.examStart)
	r.Get("/exam/attempts/:id/q/:n", candidate, h.examQuestion)
	r.Post("/exam/attempts/:id/q/:n", candidate, h.examAnswer)
	r.Post("/exam/attempts/:id/answers", candidate, h.examAutosave)
	r.Get("/exam/attempts/:id/review", candidate, h.examReview)
	r.Post("/exam/attempts/:id/submit", candidate, h.examSubmit)
	r.Get("/exam/attempts/:id/result", candidate, h.examResult)
	r.Get("/vendor/exam", vendorAdmin, h.examAdmin)
	r.Get("/vendor/exam/cohorts/:cohort", vendorAdmin, h.examAdmin)
	r.Get("/vendor/exam/cohorts/:cohort/results.csv", vendorAdmin, h.examCSV)
	r.Post("/vendor/exam/settings", vendorAdmin, h.examSettings)
	r.Post("/vendor/exam/accommodations", vendorAdmin, h.examAccommodation)
	r.Post("/vendor/exam/overrides", vendorAdmin, h.examOverride)
	r.Post("/vendor/exam/items/:item/retire", vendorAdmin, h.examRetire(true))
	r.Post("/vendor/exam/items/:item/restore", vendorAdmin, h.examRetire(false))

	// Oral examinations: trainers publish slots and grade; candidates book; vendor admins set rules.
	oralUsers := RequireRole(account.RoleCandidate, account.RoleTrainer, account.RoleVendorAdmin)
	staff := RequireRole(account.RoleTrainer, account.RoleVendorAdmin)
	r.Get("/oral", oralUsers, h.oralHome)
	r.Post("/oral/slots", staff, h.createSlots)
	r.Post("/oral/slots/:id/cancel", staff, h.cancelSlot)
	r.Post("/oral/book", candidate, h.book)
	r.Post("/oral/bookings/:id/cancel", oralUsers, h.cancelBooking)
	r.Post("/oral/bookings/:id/reschedule", candidate, h.reschedule)
	r.Post("/oral/bookings/:id/no-show", staff, h.noShow)
	r.Get("/oral/bookings/:id/calendar.ics", oralUsers, h.bookingCalendar)
	r.Get("/oral/bookings/:id/grade", staff, h.gradeForm)
	r.Post("/oral/bookings/:id/grade", staff, h.submitGrade(false))
	r.Post("/oral/grades/:id/amend", staff, h.submitGrade(true))
	r.Post("/oral/bookings/:id/exceptions", vendorAdmin, h.addException)
	r.Post("/oral/feed", staff, h.feedCreate)
	r.Post("/oral/feed/revoke", staff, h.feedRevoke)
	r.Get("/oral/feed/:token", h.feed) // public: the unguessable token is the credential
	r.Post("/vendor/oral/settings", vendorAdmin, h.oralSettings)

	// Certificates: vendor admins issue, revoke, reinstate and renew; holders download and record CE;
	// anyone verifies (rate limited, noindex, minimal disclosure).
	r.Get("/vendor/certificates", vendorAdmin, h.certificatesAdmin)
	r.Post("/vendor/certificates/issue", vendorAdmin, h.issueCertificates)
	r.Post("/vendor/certificates/:id/revoke", vendorAdmin, h.certificateAction("revoke"))
	r.Post("/vendor/certificates/:id/reinstate", vendorAdmin, h.certificateAction("reinstate"))
	r.Post("/vendor/certificates/:id/renew", vendorAdmin, h.certificateAction("renew"))
	r.Get("/vendor/certificates/export.csv", vendorAdmin, h.certificatesCSV)
	r.Get("/vendor/reports.csv", vendorAdmin, h.reportCSV)
	r.Post("/vendor/ce/:id/review", vendorAdmin, h.reviewCE)
	r.Get("/ce/:id/proof", RequireRole(account.RoleCandidate, account.RoleVendorAdmin), h.ceProof)
	r.Get("/certificates", candidate, h.myCertificates)
	r.Get("/certificates/:id", candidate, h.certificate)
	r.Get("/certificates/:id/certificate.pdf", RequireRole(account.RoleCandidate, account.RoleVendorAdmin), h.certificateFile("pdf"))
	r.Get("/certificates/:id/credential.jwt", RequireRole(account.RoleCandidate, account.RoleVendorAdmin), h.certificateFile("credential"))
	r.Get("/certificates/:id/completion-record.pdf", RequireRole(account.RoleCandidate, account.RoleVendorAdmin), h.certificateFile("record"))
	r.Post("/certificates/:id/ce", candidate, h.recordCE)
	r.Get("/endorsements/:id/credential.jwt", RequireRole(account.RoleCandidate, account.RoleVendorAdmin), h.endorsementCredential)
	r.Get("/endorsements/:id/endorsement.pdf", RequireRole(account.RoleCandidate, account.RoleVendorAdmin), h.endorsementPDF)
	r.Get("/verify", h.verifyForm)
	r.Post("/verify", h.verifyLookup)
	r.Get("/verify/:code", h.verifyCode)
	r.Get("/.well-known/jwks.json", h.jwks)
	r.Get("/status/:vendor/revocation", h.statusList)
	r.Get("/credentials/:slug", h.achievement)

	// The course: enrolled candidates read open days; staff and admins preview.
	r.Get("/learn", RequireRole(account.RoleCandidate), h.learn)
	r.Get("/learn/:slug", signedIn, h.module)
	r.Post("/learn/:slug/check", RequireRole(account.RoleCandidate), h.moduleCheck)
	r.Get("/learn/:slug/handouts/*", signedIn, h.handout)
	r.Get("/media/content/*", signedIn, h.contentMedia)
	r.Get("/media/vendor/:vendor/:id", signedIn, h.vendorMedia)
	r.Get("/vendor/media", vendorAdmin, h.mediaLibrary)
	r.Post("/vendor/media", vendorAdmin, h.uploadMedia)

	// Catalogue courses beyond the ten days: holders enrol and take them; staff and admins read them;
	// vendor admins offer them and enrol cohorts (their own vendor's offerings only).
	r.Get("/courses", signedIn, h.catalogue)
	r.Get("/courses/attempts/:id", candidate, h.courseAttempt)
	r.Post("/courses/attempts/:id", candidate, h.courseAttemptSave)
	r.Post("/courses/attempts/:id/answers", candidate, h.courseAutosave)
	r.Get("/courses/:slug", signedIn, h.coursePage)
	r.Post("/courses/:slug/enrol", candidate, h.courseEnrol)
	r.Post("/courses/:slug/assessment", candidate, h.courseAssessmentStart)
	r.Get("/courses/:slug/modules/:module", signedIn, h.courseModule)
	r.Post("/courses/:slug/modules/:module/check", candidate, h.courseModuleCheck)
	r.Get("/courses/:slug/modules/:module/handouts/*", signedIn, h.courseHandout)
	r.Post("/courses/:slug/modules/:module/done", candidate, h.courseModuleDone)
	r.Get("/vendor/courses", vendorAdmin, h.vendorCourses)
	r.Post("/vendor/courses", vendorAdmin, h.offerCourse)
	r.Post("/vendor/courses/:id/cohort", vendorAdmin, h.enrolCohort)

	// Cohorts: trainers see the cohorts they teach, vendor admins all of their vendor's.
	teach := RequireRole(account.RoleTrainer, account.RoleVendorAdmin)
	r.Get("/teach", teach, h.cohorts)
	r.Post("/teach/cohorts", vendorAdmin, h.createCohort)
	r.Get("/teach/cohorts/:id", teach, h.cohortDetail)
	r.Post("/teach/cohorts/:id/enrollments", vendorAdmin, h.enroll)
	r.Post("/teach/cohorts/:id/enrollments/:candidate/withdraw", vendorAdmin, h.withdraw)
	r.Post("/teach/cohorts/:id/makeup", teach, h.addMakeup)
	r.Get("/teach/cohorts/:id/days/:day", teach, h.attendance)
	r.Post("/teach/cohorts/:id/days/:day", teach, h.saveAttendance)

	// Vendor administrators (own staff) and platform administrators (everyone).
	r.Get("/users", anyAdmin, h.users)
	r.Post("/users/:id/disable", anyAdmin, h.setDisabled(true))
	r.Post("/users/:id/enable", anyAdmin, h.setDisabled(false))
	r.Get("/audit", anyAdmin, h.auditLog)

	// Platform administrators.
	r.Get("/admin/vendors", admin, h.vendors)
	r.Post("/admin/vendors", admin, h.createVendor)
	r.Get("/admin/vendors/:id", admin, h.adminVendor)
	r.Post("/admin/vendors/:id/recognition", admin, h.setRecognition)
	r.Post("/admin/vendors/:id/invitations", admin, h.invite)
	r.Get("/admin/status", admin, h.status)
	r.Get("/admin/mail", admin, h.mail)
	r.Get("/admin/mail/:id", admin, h.mailMessage)
}
