// Evidence files on the questionnaire page. Without JavaScript the forms post as they are;
// with it, a deletion asks first and a file over the size limit is refused before it is sent.
(function () {
  "use strict";

  document.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-confirm]");
    if (button && !window.confirm(button.dataset.confirm)) event.preventDefault();
  });

  document.addEventListener("change", function (event) {
    var input = event.target;
    if (input.type !== "file" || !input.dataset.maxBytes) return;
    var limit = parseInt(input.dataset.maxBytes, 10);
    var file = input.files && input.files[0];
    input.setCustomValidity(file && file.size > limit ? input.dataset.tooBig : "");
    input.reportValidity();
  });

  // Back from an upload or a deletion, the page opens at the question: its notice ("… is
  // attached", "… was refused: …") takes the focus, so a screen reader reads it and Tab goes
  // on from that question rather than from the top of the page. After the load: going to the
  // page's #fragment moves the focus to the page itself.
  function focusNotice() {
    var notice = document.querySelector(".question-files .file-notice");
    if (notice) {
      notice.setAttribute("tabindex", "-1");
      notice.focus({ preventScroll: true });
    }
  }
  if (document.readyState === "complete") {
    window.setTimeout(focusNotice, 0);
  } else {
    window.addEventListener("load", function () {
      window.setTimeout(focusNotice, 0);
    });
  }
})();
