package emulator

import "strconv"

// workUpload serves WeCom POST cgi-bin/media/upload (temporary media, 3
// days, shared by the corp's agents).
func (c *call) workUpload() {
	p, ok := c.auth()
	if !ok {
		return
	}
	kind := c.r.URL.Query().Get("type")
	c.workTemporaryUpload(p, kind, workRules)
}

// workTemporaryUpload stores a WeCom temporary upload of kind under rules
// and answers {type, media_id, created_at:"..."}.
func (c *call) workTemporaryUpload(p principal, kind string, rules map[string]rule) {
	r, ok := rules[kind]
	if !ok {
		c.fail(codeBadTypeWork, "invalid type")
		return
	}
	u, format, ok := c.receiveUpload(r)
	if !ok {
		return
	}
	defer u.abort()
	rec := c.newMedia(p.owner, familyTemporary, kind, u.media, format)
	if !c.storeUpload(u, rec, nil) {
		return
	}
	c.ok("type", kind, "media_id", rec.ID, "created_at", strconv.FormatInt(rec.Created.Unix(), 10))
}

// workUploadImage serves WeCom POST cgi-bin/media/uploadimg, counting
// against the corp's daily and monthly quotas.
func (c *call) workUploadImage() {
	p, ok := c.auth()
	if !ok {
		return
	}
	e := c.e
	admit := func() int {
		co := e.st.Corps[p.owner]
		day, month := dayKey(c.now), monthKey(c.now)
		q := e.cfg.quotas
		if (q.WeComUploadImagePerDay > 0 && co.UploadImgToday.get(day) >= q.WeComUploadImagePerDay) ||
			(q.WeComUploadImagePerMonth > 0 && co.UploadImgMonth.get(month) >= q.WeComUploadImagePerMonth) {
			return CodeUploadImageQuota
		}
		co.UploadImgToday.add(day)
		co.UploadImgMonth.add(month)
		return 0
	}
	c.uploadImage(p, workUploadImageRule, admit)
}

// workGet serves WeCom GET cgi-bin/media/get, with Range.
func (c *call) workGet() {
	m, ok := c.temporaryParam()
	if !ok {
		return
	}
	c.sendMedia(m, m.ContentType, workDisposition(m.Name), true)
}

// uploadAttachment serves WeCom POST cgi-bin/media/upload_attachment.
func (c *call) uploadAttachment() {
	p, ok := c.auth()
	if !ok {
		return
	}
	q := c.r.URL.Query()
	kind, at := q.Get("media_type"), q.Get("attachment_type")
	if at != "1" && at != "2" {
		c.failHint(codeBadParamWork, "", "attachment_type must be 1 (moments) or 2 (product album)")
		return
	}
	rules := map[string]rule{"image": workRules["image"], "video": workRules["video"]}
	if at == "2" {
		rules["file"] = workRules["file"]
	}
	c.workTemporaryUpload(p, kind, rules)
}
