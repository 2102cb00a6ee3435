// Site-wide behaviour: the phone menu button and the user menu. Everything works without it
// (the nav is simply always shown); this only adds the collapsing.
(function () {
  "use strict";

  function setup() {
    var toggle = document.querySelector(".menu-toggle");
    var nav = document.getElementById("site-nav");
    if (toggle && nav) {
      toggle.addEventListener("click", function () {
        var open = toggle.getAttribute("aria-expanded") !== "true";
        toggle.setAttribute("aria-expanded", String(open));
        nav.classList.toggle("is-open", open);
        if (open) {
          var first = nav.querySelector("a, summary, button");
          if (first) first.focus();
        }
      });
      document.addEventListener("keydown", function (event) {
        if (event.key === "Escape" && nav.classList.contains("is-open")) {
          toggle.setAttribute("aria-expanded", "false");
          nav.classList.remove("is-open");
          toggle.focus();
        }
      });
    }

    var userMenu = document.querySelector(".user-menu");
    if (userMenu) {
      document.addEventListener("click", function (event) {
        if (userMenu.open && !userMenu.contains(event.target)) userMenu.open = false;
      });
      userMenu.addEventListener("keydown", function (event) {
        if (event.key === "Escape" && userMenu.open) {
          userMenu.open = false;
          userMenu.querySelector("summary").focus();
          event.stopPropagation();
        }
      });
    }

    document.querySelectorAll("[data-copy-target]").forEach(function (button) {
      button.addEventListener("click", function () {
        var source = document.getElementById(button.getAttribute("data-copy-target"));
        var status = document.getElementById(button.getAttribute("data-copy-status"));
        var text = source.value || source.textContent;
        var done = function (message) { if (status) status.textContent = message; };
        if (navigator.clipboard && window.isSecureContext) {
          navigator.clipboard.writeText(text).then(
            function () { done("Copied to the clipboard."); },
            function () { source.select(); done("Press Ctrl+C (⌘C on a Mac) to copy."); }
          );
        } else {
          source.focus();
          source.select();
          try {
            done(document.execCommand("copy") ? "Copied to the clipboard." : "Press Ctrl+C (⌘C on a Mac) to copy.");
          } catch (error) {
            done("Press Ctrl+C (⌘C on a Mac) to copy.");
          }
        }
      });
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setup);
  else setup();
})();
