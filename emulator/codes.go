package emulator

// Codes the emulator answers where the platforms' documents leave the real
// value open (docs/wire.md §9).
// Each is one constant so that it is easy to change when the real value is
// learned; doc.go explains each choice.
const (
	// CodeStableForceDailyCap answers a stable_token force_refresh beyond the
	// daily cap (20). The documented daily-quota code is 45009.
	CodeStableForceDailyCap = 45009
	// CodeStableForceTooSoon answers a stable_token force_refresh less than
	// 30 s after the previous one. The documented minute-quota code is 45011.
	CodeStableForceTooSoon = 45011
	// CodeVideoDescriptionMissing answers add_material type=video without a
	// valid "description" form field (missing or not a JSON object).
	CodeVideoDescriptionMissing = 47001
	// CodeLibraryFull answers add_material when the library cap of that kind
	// is reached.
	CodeLibraryFull = 45009
	// CodeUploadImageQuota answers WeCom media/uploadimg beyond the daily or
	// monthly per-corp quota.
	CodeUploadImageQuota = 45009
	// CodeBadCount answers batchget_material with count outside 1..20 or a
	// negative offset ("invalid args").
	CodeBadCount = 40097
	// CodeJobNotFound answers get_upload_by_url_result for an unknown jobid,
	// another corp's jobid or one older than 60 minutes.
	CodeJobNotFound = 40058
	// CodeJobNotMP4 is the detail.errcode of an upload-by-URL video job whose
	// bytes are not MP4.
	CodeJobNotMP4 = 40004
	// CodeOAInvalidToken answers an Official Account business call with a
	// token the platform never issued or one superseded more than 5 minutes
	// ago ("invalid credential, access_token is invalid or not latest").
	CodeOAInvalidToken = 40001
	// CodeWeComInvalidToken answers a WeCom business call with a token the
	// platform never issued.
	CodeWeComInvalidToken = 40014
	// CodeFileLengthMismatch answers a WeCom upload whose media part gives
	// a filelength (in its Content-Disposition) other than the part's size.
	// The pages ask for filelength but name no code for a wrong one; 40006
	// is WeCom's "invalid file size".
	CodeFileLengthMismatch = 40006
	// CodeDotFileName answers an upload whose media part's filename is "."
	// or "..": no page says what the platforms answer to a name that names
	// no file; 41005 is what they answer to a path-shaped one. (An
	// upload_by_url filename whose last element is empty, "." or ".."
	// answers 40058, as a missing one does.)
	CodeDotFileName = 41005
	// CodeEmptyNews answers Official Account media/uploadnews without
	// articles, or with an article missing its title or content. The
	// platform's tables list 44003 ("empty news data") without naming the
	// endpoint.
	CodeEmptyNews = 44003
	// CodeTooManyArticles answers Official Account media/uploadnews with more
	// than 8 articles. The page gives the limit without its code; 45008
	// ("article size out of limit") is the code the platforms' tables give
	// for too many articles in a message.
	CodeTooManyArticles = 45008
	// CodeRevokedToken answers a business call with a token that was revoked
	// early (RevokeToken, the Revoke fault, a forced stable_token refresh is
	// not this: that one answers CodeOAInvalidToken).
	CodeRevokedToken = 42001
)

// Documented codes used by the handlers.
const (
	codeBusy              = -1
	codeInvalidCredential = 40001
	codeBadGrantType      = 40002
	codeBadMediaTypeOA    = 40004 // OA: bad type parameter
	codeBadFileWork       = 40004 // WeCom: file does not meet requirements
	codeBadFileTypeOA     = 40005 // OA: bad file format
	codeBadTypeWork       = 40005 // WeCom: bad type parameter
	codeBadFileSize       = 40006
	codeBadMediaID        = 40007
	codeBadImageSize      = 40009
	codeBadVoiceSize      = 40010
	codeBadVideoSize      = 40011
	codeBadThumbSize      = 40012
	codeBadAppID          = 40013
	codeBadToken          = 40014
	codeBadParamWork      = 40058
	codeUnsupportedFile   = 40113
	codeBadSecret         = 40125
	codeIPNotAllowedOA    = 40164
	codeMissingToken      = 41001
	codeMissingAppID      = 41002
	codeMissingSecret     = 41004
	codeMissingMedia      = 41005
	codeMissingMediaID    = 41006
	codeExpiredToken      = 42001
	codeNeedGET           = 43001
	codeNeedPOST          = 43002
	codeEmptyMedia        = 44001
	codeEmptyPost         = 44002
	codeTooLarge          = 45001
	codeVoiceTooLong      = 45007
	codeQuota             = 45009
	codeAPIOffline        = 45106
	codeBadJSON           = 47001
	codeIPNotAllowedWork  = 60020
	codeVoiceNotAMR       = 301017
	codeJobMD5            = 301019
	codeJobBadURL         = 830001
	codeJobTooLargeForGet = 830002
	codeJobDownload       = 830003
)

// messages holds the errmsg text (before decoration) for each code.
var messages = map[int]string{
	codeBusy:               "system error",
	codeInvalidCredential:  "invalid credential, access_token is invalid or not latest",
	codeBadGrantType:       "invalid grant_type",
	codeBadMediaTypeOA:     "invalid media type",
	codeBadFileTypeOA:      "invalid file type",
	codeBadFileSize:        "invalid file size",
	codeBadMediaID:         "invalid media_id",
	codeBadImageSize:       "invalid image size",
	codeBadVoiceSize:       "invalid voice size",
	codeBadVideoSize:       "invalid video size",
	codeBadThumbSize:       "invalid thumb size",
	codeBadAppID:           "invalid appid",
	codeBadToken:           "invalid access_token",
	codeBadParamWork:       "invalid parameter",
	CodeBadCount:           "invalid args",
	codeUnsupportedFile:    "unsupported file type",
	codeBadSecret:          "invalid appsecret",
	codeIPNotAllowedOA:     "invalid ip, not in whitelist",
	codeMissingToken:       "access_token missing",
	codeMissingAppID:       "appid missing",
	codeMissingSecret:      "appsecret missing",
	codeMissingMedia:       "media data missing",
	codeMissingMediaID:     "media_id missing",
	codeExpiredToken:       "access_token expired",
	codeNeedGET:            "require GET method",
	codeNeedPOST:           "require POST method",
	codeEmptyMedia:         "empty media data",
	codeEmptyPost:          "empty post data",
	CodeEmptyNews:          "empty news data",
	codeTooLarge:           "media size out of limit",
	codeVoiceTooLong:       "voice playtime out of limit",
	CodeTooManyArticles:    "article size out of limit",
	codeQuota:              "reach max api daily quota limit",
	CodeStableForceTooSoon: "api minute-quota reach limit mustslower retry next minute",
	codeAPIOffline:         "This API has been unsupported",
	codeBadJSON:            "data format error",
	codeIPNotAllowedWork:   "not allow to access from your ip",
	codeVoiceNotAMR:        "voice file only support amr format",
	codeJobMD5:             "md5 check failed",
	codeJobBadURL:          "invalid url, check whether the url supports Range",
	codeJobTooLargeForGet:  "file too large, download it with Range chunks of at most 20MB",
	codeJobDownload:        "download url failed",
}

func message(code int) string {
	if m, ok := messages[code]; ok {
		return m
	}
	return "error"
}
