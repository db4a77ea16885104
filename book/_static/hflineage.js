// hflineage book: every figure opens full size.
// Chapter figures are shrunk to the text column (and to a phone's width); a click or tap on one
// opens the PNG at its full resolution in a new tab, where it can be read and zoomed.
document.addEventListener("DOMContentLoaded", () => {
  const images = document.querySelectorAll(
    "article .cell_output img, article figure img"
  );
  images.forEach((img) => {
    if (img.closest("a")) return; // already a link
    const link = document.createElement("a");
    link.href = img.getAttribute("src");
    link.className = "hfl-zoom";
    link.target = "_blank";
    link.rel = "noopener";
    link.title = "Open the figure full size";
    img.parentNode.insertBefore(link, img);
    link.appendChild(img);
  });
});
