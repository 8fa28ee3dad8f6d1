// Keeps a background job's status message up to date, then shows the finished page. No timing is forced on the
// reader: the message is a polite live region, and the page only changes when the job has ended. A retried job
// says which attempt it is on ("Attempt 2 of 3").
const status = document.getElementById("job-progress");
const attempt = document.getElementById("job-attempt");
if (status) {
  const check = async () => {
    try {
      const response = await fetch(status.dataset.statusUrl, { headers: { Accept: "application/json" } });
      const job = response.ok ? await response.json() : {}; // a failed check is tried again
      if (job.status === "done" || job.status === "failed") {
        window.location.assign(status.dataset.pageUrl);
        return;
      }
      if (attempt && job.attempt) {
        attempt.textContent = `${job.attempt}.`;
        attempt.hidden = false;
      }
      if (job.total) {
        const percent = Math.floor((100 * job.done) / job.total);
        status.textContent = `${job.done.toLocaleString("en-GB")} of ${job.total.toLocaleString("en-GB")} done (${percent}%).`;
      }
    } catch (error) {
      // Network trouble: the "Check progress" link still works.
    }
    window.setTimeout(check, 2000);
  };
  window.setTimeout(check, 2000);
}
