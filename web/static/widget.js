/* The commune's chat window for any web page: <script src=".../static/widget.js" defer>.
 * No dependencies, no inline code or styles (works under a strict CSP); everything it
 * needs comes from the address it was loaded from. Text is set with textContent only. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || document.getElementById("lk-widget")) { return; }
  var base = new URL(script.src, document.baseURI);
  var api = new URL("/widget/api/messages", base).href;
  var POLL_MS = 10000;
  var MAX_CHARS = 2000;
  var MAX_PHOTO_BYTES = 10 * 1024 * 1024;
  var TEXT = {
    open: "Hỏi trợ lý xã",
    title: "Trợ lý Ủy ban nhân dân xã",
    close: "Đóng",
    closeLabel: "Đóng khung hỏi đáp",
    log: "Các tin nhắn",
    input: "Nội dung tin nhắn",
    send: "Gửi",
    hint: "Anh/Chị gõ câu hỏi rồi bấm «Gửi», có thể gõ không dấu. Khi gửi phản ánh, Anh/Chị có thể đính kèm ảnh (JPEG, PNG, tối đa 10 MB).",
    photo: "Gửi ảnh",
    photoTooLarge: "Ảnh quá lớn (tối đa 10 MB). Anh/Chị gửi ảnh nhỏ hơn giúp.",
    photoType: "Tệp này không phải ảnh JPEG hoặc PNG. Anh/Chị gửi lại một ảnh chụp giúp.",
    waiting: "Trợ lý đang trả lời…",
    offline: "Không kết nối được với trợ lý. Anh/Chị kiểm tra mạng rồi gửi lại; nội dung vẫn còn trong ô nhập.",
    tooLong: "Tin nhắn dài quá " + MAX_CHARS + " ký tự. Anh/Chị rút gọn giúp.",
    welcome: "Xin chào Anh/Chị. Anh/Chị cần hỏi thủ tục hay muốn gửi phản ánh, kiến nghị? Anh/Chị gõ câu hỏi vào ô bên dưới."
  };

  var css = document.createElement("link");
  css.rel = "stylesheet";
  css.href = new URL("/static/widget.css", base).href;
  document.head.appendChild(css);

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text) { node.textContent = text; }
    return node;
  }

  var root = el("div", "lk-widget");
  root.id = "lk-widget";
  var launcher = el("button", "lk-launcher", TEXT.open);
  launcher.type = "button";
  launcher.setAttribute("aria-expanded", "false");
  launcher.setAttribute("aria-controls", "lk-panel");

  var panel = el("section", "lk-panel");
  panel.id = "lk-panel";
  panel.hidden = true;
  panel.setAttribute("role", "dialog");
  panel.setAttribute("aria-labelledby", "lk-title");
  var header = el("div", "lk-header");
  var title = el("h2", "lk-title", TEXT.title);
  title.id = "lk-title";
  var close = el("button", "lk-close", TEXT.close);
  close.type = "button";
  close.setAttribute("aria-label", TEXT.closeLabel);
  header.appendChild(title);
  header.appendChild(close);

  var log = el("div", "lk-log");
  log.setAttribute("role", "log");
  log.setAttribute("aria-live", "polite");
  log.setAttribute("aria-label", TEXT.log);
  log.tabIndex = 0;
  var status = el("p", "lk-status");
  status.setAttribute("role", "status");

  var form = el("form", "lk-form");
  var label = el("label", "lk-label", TEXT.input);
  label.htmlFor = "lk-input";
  var input = el("textarea", "lk-input");
  input.id = "lk-input";
  input.rows = 2;
  input.setAttribute("aria-describedby", "lk-hint");
  var hint = el("p", "lk-hint", TEXT.hint);
  hint.id = "lk-hint";
  var send = el("button", "lk-send", TEXT.send);
  send.type = "submit";
  // The file picker is opened by its label (a visible button), which keyboards reach.
  var photoInput = el("input", "lk-photo-input");
  photoInput.type = "file";
  photoInput.id = "lk-photo";
  photoInput.accept = "image/jpeg,image/png";
  var photoButton = el("label", "lk-photo", TEXT.photo);
  photoButton.htmlFor = "lk-photo";
  var row = el("div", "lk-row");
  row.appendChild(input);
  row.appendChild(send);
  form.appendChild(label);
  form.appendChild(row);
  form.appendChild(photoInput);
  form.appendChild(photoButton);
  form.appendChild(hint);

  panel.appendChild(header);
  panel.appendChild(log);
  panel.appendChild(status);
  panel.appendChild(form);
  root.appendChild(panel);
  root.appendChild(launcher);
  document.body.appendChild(root);

  // The session also lives in this page's storage: on a portal of another site the
  // browser may not send our cookie (third-party cookies blocked).
  var STORE = "lk-widget-session";
  function stored() {
    try { return window.localStorage.getItem(STORE); } catch (e) { return null; }
  }
  function store(value) {
    try { window.localStorage.setItem(STORE, value); } catch (e) { /* private mode */ }
  }
  function headers(extra) {
    var all = extra || {};
    var session = stored();
    if (session) { all["X-Widget-Session"] = session; }
    return all;
  }

  var csrf = null;
  var lastId = 0;
  var busy = false;
  var timer = null;
  var loaded = false;

  function scrollDown() { log.scrollTop = log.scrollHeight; }

  function retireButtons() {
    var groups = log.querySelectorAll(".lk-choices");
    for (var i = 0; i < groups.length; i++) { groups[i].remove(); }
  }

  function addLine(message) {
    if (message.from_resident) { retireButtons(); }
    var item = el("div", message.from_resident ? "lk-msg lk-me" : "lk-msg lk-bot");
    var who = el("span", "lk-who", message.from_resident ? "Anh/Chị: " : "Trợ lý: ");
    item.appendChild(who);
    item.appendChild(el("span", "lk-text", message.text));
    log.appendChild(item);
    if (message.buttons && message.buttons.length) {
      var group = el("div", "lk-choices");
      group.setAttribute("role", "group");
      group.setAttribute("aria-label", "Các lựa chọn");
      message.buttons.forEach(function (choice) {
        var button = el("button", "lk-choice", choice.title);
        button.type = "button";
        button.addEventListener("click", function () { post({ payload: choice.payload }); });
        group.appendChild(button);
      });
      log.appendChild(group);
    }
  }

  function addNotice(text) {
    log.appendChild(el("div", "lk-msg lk-notice", text));
    scrollDown();
  }

  function show(messages) {
    messages.forEach(function (message) {
      if (message.id > lastId) {
        addLine(message);
        lastId = message.id;
      }
    });
    if (messages.length) { scrollDown(); }
  }

  function fetchNew() {
    return fetch(api + "?after=" + lastId, { credentials: "include", headers: headers() })
      .then(function (response) {
        return response.json().then(function (data) { return { ok: response.ok, data: data }; });
      })
      .then(function (result) {
        if (!result.ok) { throw new Error(result.data.error || "error"); }
        csrf = result.data.csrf;
        store(result.data.session);
        if (!loaded && !result.data.messages.length) { addNotice(TEXT.welcome); }
        loaded = true;
        show(result.data.messages);
      });
  }

  function setBusy(value) {
    busy = value;
    send.disabled = value;
    status.textContent = value ? TEXT.waiting : "";
    var choices = log.querySelectorAll(".lk-choice");
    for (var i = 0; i < choices.length; i++) { choices[i].disabled = value; }
  }

  // A photo goes as the request body to the photos endpoint, beside the messages one.
  var photosApi = new URL("/widget/api/photos", base).href;

  function post(body, photo) {
    if (busy) { return; }
    setBusy(true);
    var ready = csrf ? Promise.resolve() : fetchNew();
    ready.then(function () {
      if (photo) {
        return fetch(photosApi + "?after=" + lastId, {
          method: "POST",
          credentials: "include",
          headers: headers({ "Content-Type": photo.type, "X-CSRF-Token": csrf || "" }),
          body: photo
        });
      }
      return fetch(api + "?after=" + lastId, {
        method: "POST",
        credentials: "include",
        headers: headers({ "Content-Type": "application/json", "X-CSRF-Token": csrf || "" }),
        body: JSON.stringify(body)
      });
    }).then(function (response) {
      return response.json().then(function (data) { return { status: response.status, data: data }; });
    }).then(function (result) {
      if (result.status === 200) {
        if (body.text !== undefined) { input.value = ""; }
        if (result.data.erased) {
          // The resident's data is erased: nothing of it stays on screen either, and the
          // confirmation is shown once.
          log.textContent = "";
          lastId = 0;
          (result.data.notices || []).forEach(addNotice);
          return;
        }
        show(result.data.messages);
        return;
      }
      addNotice(result.data.error || TEXT.offline);
      if (result.status === 401 || result.status === 403) {
        csrf = null;  // a new session or token: fetched before the next send
        return fetchNew();
      }
    }).catch(function () {
      addNotice(TEXT.offline);
    }).then(function () {
      setBusy(false);
      // A pressed button is gone once answered: keep the keyboard in the window.
      if (!panel.hidden && !panel.contains(document.activeElement)) { input.focus(); }
    });
  }

  function poll() {
    if (!busy) { fetchNew().catch(function () { /* the next poll tries again */ }); }
  }

  function open() {
    panel.hidden = false;
    launcher.setAttribute("aria-expanded", "true");
    root.classList.add("lk-open");
    fetchNew().catch(function () { addNotice(TEXT.offline); });
    timer = window.setInterval(poll, POLL_MS);
    input.focus();
  }

  function shut() {
    panel.hidden = true;
    launcher.setAttribute("aria-expanded", "false");
    root.classList.remove("lk-open");
    if (timer) { window.clearInterval(timer); timer = null; }
    launcher.focus();
  }

  launcher.addEventListener("click", function () { if (panel.hidden) { open(); } else { shut(); } });
  close.addEventListener("click", shut);
  panel.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { shut(); }
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      form.requestSubmit ? form.requestSubmit() : form.dispatchEvent(new Event("submit"));
    }
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text) { input.focus(); return; }
    if (text.length > MAX_CHARS) { addNotice(TEXT.tooLong); return; }
    post({ text: text });
  });
  photoInput.addEventListener("change", function () {
    var photo = photoInput.files && photoInput.files[0];
    photoInput.value = "";  // the same photo may be chosen again
    if (!photo) { return; }
    if (photo.type !== "image/jpeg" && photo.type !== "image/png") { addNotice(TEXT.photoType); return; }
    if (photo.size > MAX_PHOTO_BYTES) { addNotice(TEXT.photoTooLarge); return; }
    post({}, photo);
  });
})();
