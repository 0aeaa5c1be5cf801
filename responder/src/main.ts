import { runService } from "@flank/shared/lifecycle";
import { service } from "./service.js";

void runService("responder", service);
